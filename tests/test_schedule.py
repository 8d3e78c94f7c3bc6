"""The test order of tests/schedule.py: a permutation, long tests dealt longest first over the workers'
first slices, file order kept otherwise."""

from tests import schedule


def test_one_worker_keeps_the_collected_order():
    ids = [f"t{i}" for i in range(7)]
    assert schedule.deal(ids, {"t3": 50.0}, 1) == list(range(7))


def test_slices_are_worksteals_first_round():
    assert schedule.slice_sizes(7, 2) == [3, 4]
    assert schedule.slice_sizes(10, 3) == [3, 3, 4]
    assert sum(schedule.slice_sizes(653, 4)) == 653


def test_long_tests_lead_each_slice_longest_first_on_the_least_loaded_worker():
    ids = [f"t{i}" for i in range(10)]
    durations = {"t1": 60.0, "t4": 45.0, "t6": 40.0, "t8": 30.0, "t9": 1.0}
    order = schedule.deal(ids, durations, 2)
    assert sorted(order) == list(range(10))
    first, second = order[:5], order[5:]
    assert first[:2] == [1, 8]          # 60, then 30 (the other worker holds 45 + 40 = 85 > 60)
    assert second[:2] == [4, 6]
    short_in_file_order = [i for i in order if i not in (1, 4, 6, 8)]
    assert short_in_file_order == sorted(short_in_file_order)


def test_a_missing_or_broken_file_means_no_durations(tmp_path):
    assert schedule.load_durations(tmp_path / "none.json") == {}
    (tmp_path / "bad.json").write_text("{not json")
    assert schedule.load_durations(tmp_path / "bad.json") == {}


def test_record_round_trips_and_drops_short_tests(tmp_path):
    path = tmp_path / "d.json"
    schedule.record({"a": 12.34, "b": 0.2}, path)
    assert schedule.load_durations(path) == {"a": 12.3}


def test_a_follower_sits_right_after_its_leader_in_the_same_slice():
    ids = [f"t{i}" for i in range(10)]
    durations = {"t1": 60.0, "t4": 45.0, "t6": 40.0, "t8": 30.0}
    order = schedule.deal(ids, durations, 2, follows={"t9": "t4", "t2": "t9", "t0": "absent"})
    assert sorted(order) == list(range(10))
    at = order.index(4)
    assert order[at + 1: at + 3] == [9, 2]              # the chain t4 → t9 → t2, in one slice
    assert (at < 5) == (at + 2 < 5)
    # a short leader keeps its follower beside it too, and an unknown leader changes nothing
    order = schedule.deal(ids, {}, 2, follows={"t7": "t3"})
    assert order.index(7) == order.index(3) + 1 and sorted(order) == list(range(10))
