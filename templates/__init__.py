# Makes templates/ importable as provenance.templates (see pyproject.toml), so
# importlib.resources finds the jinja2 templates in editable and wheel installs.
