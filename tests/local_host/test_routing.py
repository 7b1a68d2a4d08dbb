"""The local host's router: which function a request reaches, what it receives, what is written back."""

from __future__ import annotations

import azure.functions as func
import pytest

from local_host.routing import Reply, Router, build_router

BASE = "http://127.0.0.1:7071"


class RecordingApp:
    """A tiny FunctionApp whose functions record the request they received in ``requests``."""

    def __init__(self) -> None:
        self.requests: list[func.HttpRequest] = []
        self.app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
        answer = self._answer

        @self.app.route(route="Items/{id}", methods=["GET"])
        def item(req: func.HttpRequest) -> func.HttpResponse:
            return answer(req, "item")

        @self.app.route(route="Items/.search", methods=[func.HttpMethod.POST])
        def search(req: func.HttpRequest) -> func.HttpResponse:
            return answer(req, "search")

        @self.app.route(route="pages/{name?}", methods=["GET"])
        def page(req: func.HttpRequest) -> func.HttpResponse:
            return answer(req, "page")

        @self.app.route(route="files/{*path}", methods=["GET"])
        def files(req: func.HttpRequest) -> func.HttpResponse:
            return answer(req, "files")

        @self.app.route(route="anything", trigger_arg_name="request")
        def anything(request: func.HttpRequest) -> func.HttpResponse:
            return answer(request, "anything")

        @self.app.route(route="async/{x}", methods=["GET"])
        async def asynchronous(req: func.HttpRequest) -> func.HttpResponse:
            return answer(req, "async")

        @self.app.route(route="created", methods=["POST"])
        def created(req: func.HttpRequest) -> func.HttpResponse:
            headers = {"Location": f"{BASE}/Items/42", "ETag": 'W/"1"', "Content-Type": "application/scim+json"}
            return func.HttpResponse(b'{"id": "42"}', status_code=201, headers=headers, mimetype="application/json")

        @self.app.route(route="plain", methods=["GET"])
        def plain(req: func.HttpRequest) -> func.HttpResponse:
            return func.HttpResponse("hello")

        @self.app.route(route="boom", methods=["GET"])
        def boom(req: func.HttpRequest) -> func.HttpResponse:
            raise RuntimeError("secret detail in the traceback")

        @self.app.route(route="not-a-response", methods=["GET"])
        def not_a_response(req: func.HttpRequest) -> func.HttpResponse:
            return {"oops": True}  # type: ignore[return-value]

    def _answer(self, request: func.HttpRequest, function: str) -> func.HttpResponse:
        self.requests.append(request)
        return func.HttpResponse(function)

    @property
    def last_request(self) -> func.HttpRequest:
        return self.requests[-1]


@pytest.fixture
def recording() -> RecordingApp:
    return RecordingApp()


@pytest.fixture
def router(recording: RecordingApp) -> Router:
    """Routes at the root, as with this project's host.json (routePrefix "")."""
    return build_router(recording.app, route_prefix="")


def request(router: Router, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> Reply:
    return router.dispatch(method, BASE + path, headers or {}, body)


def test_parameter_takes_one_segment(router: Router, recording: RecordingApp) -> None:
    reply = request(router, "GET", "/Items/42")
    assert reply.body == b"item"
    assert recording.last_request.route_params == {"id": "42"}


def test_parameter_does_not_take_two_segments(router: Router) -> None:
    assert request(router, "GET", "/Items/42/more").status == 404


def test_optional_parameter_may_be_missing(router: Router, recording: RecordingApp) -> None:
    assert request(router, "GET", "/pages").body == b"page"
    assert recording.last_request.route_params == {}


def test_optional_parameter_is_passed_when_present(router: Router, recording: RecordingApp) -> None:
    request(router, "GET", "/pages/about")
    assert recording.last_request.route_params == {"name": "about"}


def test_catch_all_takes_the_rest_of_the_path(router: Router, recording: RecordingApp) -> None:
    request(router, "GET", "/files/a/b/c.txt")
    assert recording.last_request.route_params == {"path": "a/b/c.txt"}


def test_catch_all_may_take_nothing(router: Router, recording: RecordingApp) -> None:
    assert request(router, "GET", "/files").body == b"files"
    assert recording.last_request.route_params == {}


def test_empty_route_prefix_serves_routes_at_the_root(router: Router) -> None:
    assert request(router, "GET", "/Items/1").status == 200


def test_route_prefix_is_put_before_every_route(recording: RecordingApp) -> None:
    router = build_router(recording.app, route_prefix="api")
    assert request(router, "GET", "/api/Items/1").body == b"item"


def test_route_without_the_prefix_is_not_found(recording: RecordingApp) -> None:
    router = build_router(recording.app, route_prefix="api")
    assert request(router, "GET", "/Items/1").status == 404


def test_literal_segments_match_case_insensitively(router: Router) -> None:
    assert request(router, "GET", "/ITEMS/1").body == b"item"


def test_trailing_slash_is_ignored(router: Router) -> None:
    assert request(router, "GET", "/Items/1/").body == b"item"


def test_unknown_path_returns_404(router: Router) -> None:
    assert request(router, "GET", "/nowhere") == Reply(404, [], b"")


def test_method_not_accepted_by_route_returns_404(router: Router) -> None:
    assert request(router, "DELETE", "/Items/1").status == 404


def test_route_without_methods_accepts_every_method(router: Router) -> None:
    assert {request(router, method, "/anything").status for method in ("GET", "PUT", "PATCH", "OPTIONS")} == {200}


def test_literal_segment_beats_parameter(router: Router) -> None:
    assert request(router, "POST", "/Items/.search").body == b"search"


def test_parameter_route_serves_a_method_the_literal_route_does_not_accept(router: Router) -> None:
    assert request(router, "GET", "/Items/.search").body == b"item"


def test_route_parameters_are_percent_decoded(router: Router, recording: RecordingApp) -> None:
    request(router, "GET", "/Items/J%C3%BCrgen%20M")
    assert recording.last_request.route_params == {"id": "Jürgen M"}


def test_percent_encoded_slash_stays_in_the_parameter(router: Router, recording: RecordingApp) -> None:
    assert request(router, "GET", "/Items/a%2Fb").body == b"item"
    assert recording.last_request.route_params == {"id": "a/b"}


def test_request_is_passed_as_the_trigger_parameter_name(router: Router, recording: RecordingApp) -> None:
    assert request(router, "GET", "/anything").body == b"anything"
    assert recording.last_request.method == "GET"


def test_request_body_reaches_the_function_as_bytes(router: Router, recording: RecordingApp) -> None:
    request(router, "POST", "/anything", body=b'{"userName": "bjensen"}')
    assert recording.last_request.get_body() == b'{"userName": "bjensen"}'


def test_query_parameters_are_decoded_and_the_last_repeat_wins(router: Router, recording: RecordingApp) -> None:
    request(router, "GET", "/anything?filter=userName+eq+%22a%26b%22&count=1&count=2&empty=")
    assert dict(recording.last_request.params) == {"filter": 'userName eq "a&b"', "count": "2", "empty": ""}


def test_request_headers_reach_the_function(router: Router, recording: RecordingApp) -> None:
    request(router, "GET", "/anything", headers={"Authorization": "Bearer t", "If-Match": 'W/"1"'})
    assert recording.last_request.headers["authorization"] == "Bearer t"
    assert recording.last_request.headers["If-Match"] == 'W/"1"'


def test_request_url_is_the_full_url_with_query(router: Router, recording: RecordingApp) -> None:
    request(router, "GET", "/anything?a=1")
    assert recording.last_request.url == f"{BASE}/anything?a=1"


def test_async_function_is_run_to_completion(router: Router, recording: RecordingApp) -> None:
    assert request(router, "GET", "/async/1").body == b"async"
    assert recording.last_request.route_params == {"x": "1"}


def test_response_status_headers_and_body_are_written_back(router: Router) -> None:
    reply = request(router, "POST", "/created")
    assert reply.status == 201
    assert ("Location", f"{BASE}/Items/42") in reply.headers
    assert ("ETag", 'W/"1"') in reply.headers
    assert reply.body == b'{"id": "42"}'


def test_content_type_header_wins_over_mimetype(router: Router) -> None:
    content_types = [value for name, value in request(router, "POST", "/created").headers if name == "Content-Type"]
    assert content_types == ["application/scim+json"]


def test_content_type_defaults_to_mimetype_with_charset(router: Router) -> None:
    assert request(router, "GET", "/plain").headers == [("Content-Type", "text/plain; charset=utf-8")]


def test_exception_in_function_returns_500_without_traceback(router: Router) -> None:
    reply = request(router, "GET", "/boom")
    assert reply.status == 500
    assert b"secret detail" not in reply.body
    assert b"Traceback" not in reply.body


def test_function_returning_no_http_response_returns_500(router: Router) -> None:
    assert request(router, "GET", "/not-a-response").status == 500
