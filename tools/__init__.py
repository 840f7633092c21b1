"""Authoring and build tools for the book (run as scripts: ``python tools/<name>.py``).

``tools`` is a package so that tests import its modules one way: ``from tools import make_ledger``
(pytest runs from the repository root, which is on ``sys.path``).
"""
