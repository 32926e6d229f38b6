"""Jinja2 templates and static assets for the survey site, shipped inside the wheel (a package only so that
`importlib.resources` can find them). A user's theme folder overrides any of them by file name."""
