"""A stand-in for ``func start``: serves the HTTP triggers of a v2-model FunctionApp over real HTTP
and runs its timer triggers on their schedules (``timers``).

Run it from the project root::

    python -m local_host [--host 127.0.0.1] [--port 7071] [--app function_app:app]

Like the Functions host it loads ``local.settings.json`` ``Values`` into the environment (variables
already set win), reads the route prefix from ``host.json`` and then imports the app. Only the
standard library server is used; it is for local development and tests, never for production, and
it is not deployed (``.funcignore``).

``routing`` finds the function for a request, ``server`` serves a router over HTTP (and is the
command line), ``timers`` calls the timer functions, ``settings`` reads the two settings files,
and ``processes`` runs the local host or another server as a child process for the tests and
benchmarks.
"""
