"""One module per reproduced figure set; each is ``python -m iclx.experiments.<name>``."""

EXPERIMENTS = ("linear_regression", "lipschitz_threshold", "gd_vs_newton", "gd_vs_newton_width")
