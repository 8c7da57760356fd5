"""The editor's logic as plain values and rules: no Textual here, so all of it is testable without
an app and readable without knowing Textual.

``document`` (project + history + autosave), ``editing`` (the pure rules behind every edit key and
which clip a key acts on), ``transport`` (the J/K/L ladder), ``viewport`` (the ``Scale`` shared by
the timeline and the segment bar), ``project_form`` (the project settings fields as checked values),
``suggest`` (path completion) and ``actions`` (what every editor key does: a state and effects the
screen applies). The screens in ``tui.screens`` call these and only draw.
``tests/test_import_hygiene.py`` walks this package and fails if anything in it loads Textual.
"""
