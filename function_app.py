"""Azure Functions HTTP triggers (v2 programming model): one per SCIM route, each a thin call.

Routes start at /scim because host.json sets ``extensions.http.routePrefix`` to "". The Tenant
URL is ``<host>/scim/<tenant>/v2``. The bearer token is checked in code, hence anonymous.
"""

import azure.functions as func

from scim.api import adapter

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route(route="scim/{tenant}/v2/Users", methods=["GET", "POST"])
def users(req: func.HttpRequest) -> func.HttpResponse:
    return adapter.users_collection(req)


@app.route(route="scim/{tenant}/v2/Users/{id}", methods=["GET", "PUT", "PATCH", "DELETE"])
def user(req: func.HttpRequest) -> func.HttpResponse:
    return adapter.user_item(req)


@app.route(route="scim/{tenant}/v2/Groups", methods=["GET", "POST"])
def groups(req: func.HttpRequest) -> func.HttpResponse:
    return adapter.groups_collection(req)


@app.route(route="scim/{tenant}/v2/Groups/{id}", methods=["GET", "PUT", "PATCH", "DELETE"])
def group(req: func.HttpRequest) -> func.HttpResponse:
    return adapter.group_item(req)


# POST .../.search (RFC 7644 section 3.4.3). The literal segment outranks {id} in route matching,
# and the {id} routes take no POST, so the two never compete for a request.
@app.route(route="scim/{tenant}/v2/Users/.search", methods=["POST"])
def users_search(req: func.HttpRequest) -> func.HttpResponse:
    return adapter.users_search(req)


@app.route(route="scim/{tenant}/v2/Groups/.search", methods=["POST"])
def groups_search(req: func.HttpRequest) -> func.HttpResponse:
    return adapter.groups_search(req)


@app.route(route="scim/{tenant}/v2/.search", methods=["POST"])
def root_search(req: func.HttpRequest) -> func.HttpResponse:
    return adapter.root_search(req)


# Change events by poll (RFC 8936), for the tenant's event reader (docs/events.md).
@app.route(route="scim/{tenant}/v2/Events", methods=["POST"])
def events(req: func.HttpRequest) -> func.HttpResponse:
    return adapter.events(req)


# The journal's retention (SCIM_JOURNAL_RETENTION_DAYS, default 30), swept daily at 03:17 UTC.
@app.timer_trigger(schedule="0 17 3 * * *", arg_name="timer", run_on_startup=False)
def journal_retention(timer: func.TimerRequest) -> None:
    from scim.api import retention

    retention.sweep_from_settings()


# Change events pushed to the queues tenants are registered with (python -m scim.admin event-push),
# every minute (docs/events.md).
@app.timer_trigger(schedule="0 * * * * *", arg_name="timer", run_on_startup=False)
def event_push(timer: func.TimerRequest) -> None:
    from scim.api import event_push

    event_push.relay_from_settings()


@app.route(route="scim/{tenant}/v2/Bulk", methods=["POST"])
def bulk(req: func.HttpRequest) -> func.HttpResponse:
    return adapter.bulk(req)


# Discovery (RFC 7644 section 4). Every method reaches these, so that others get 405, not 404.
@app.route(route="scim/{tenant}/v2/ServiceProviderConfig")
def service_provider_config(req: func.HttpRequest) -> func.HttpResponse:
    return adapter.service_provider_config(req)


@app.route(route="scim/{tenant}/v2/Schemas")
def schemas(req: func.HttpRequest) -> func.HttpResponse:
    return adapter.schemas(req)


@app.route(route="scim/{tenant}/v2/Schemas/{id}")
def schema(req: func.HttpRequest) -> func.HttpResponse:
    return adapter.schema(req)


@app.route(route="scim/{tenant}/v2/ResourceTypes")
def resource_types(req: func.HttpRequest) -> func.HttpResponse:
    return adapter.resource_types(req)


@app.route(route="scim/{tenant}/v2/ResourceTypes/{id}")
def resource_type(req: func.HttpRequest) -> func.HttpResponse:
    return adapter.resource_type(req)


# OAuth 2.0 token endpoint of a tenant (RFC 6749 section 3.2; docs/oauth.md). Every method reaches it,
# so that others get an OAuth error, not a SCIM 404.
@app.route(route="scim/{tenant}/v2/oauth2/token")
def oauth_token(req: func.HttpRequest) -> func.HttpResponse:
    from scim.api import oauth_endpoint

    return oauth_endpoint.token(req)


# Its metadata (RFC 8414 section 3.1: the well-known path goes before the issuer's path).
@app.route(route=".well-known/oauth-authorization-server/scim/{tenant}/v2", methods=["GET"])
def oauth_metadata(req: func.HttpRequest) -> func.HttpResponse:
    from scim.api import oauth_endpoint

    return oauth_endpoint.metadata(req)


# Lowest precedence (a catch-all): every other path under /scim gets a SCIM 404 body.
@app.route(route="scim/{*path}")
def unknown_route(req: func.HttpRequest) -> func.HttpResponse:
    return adapter.unknown_route(req)
