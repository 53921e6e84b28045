"""The reviewers' workbench (issue 18): users, sessions and the web app ``shenbao review``
serves, a layer between ``flows`` (the command line) and ``usecases``.

``users``: the accounts in the store (``auth/users.json``); ``security``: sessions, CSRF,
throttling, ids from URLs; ``app``: the FastAPI app, its pages in ``templates/``.
"""
