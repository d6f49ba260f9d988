"""moto's request path without Flask, for the services the rollout calls.

moto's server answers each request through a Flask app per service: an app
and request context, URL routing, before/after-request hooks (gzip bodies,
CORS), then the service's response class's `dispatch`, whose answer Flask
wraps in a Response. For ECS, Auto Scaling, EC2 and STS every request goes to
one URL ("/") and one `dispatch`, so the routing decides nothing: this calls
that `dispatch` directly with the same request object (Flask's Request, which
moto's parsing tells apart from werkzeug's), and builds the same Response
with the headers Flask's hooks add. About a quarter of a request's time
under the simulator's lock was Flask's (profiled at 1,000 instances: the
rollout's 1,000 TerminateInstanceInAutoScalingGroup calls queue behind it).

Anything else - another service, another path, a compressed body (moto's
before-request hook inflates it), an Origin header (CORS answers it) - goes
through Flask as before. tests/sim/test_fastdispatch.py checks that both
paths give the same status, headers and body."""
import importlib

from botocore.exceptions import ClientError
from flask.wrappers import Request as FlaskRequest
from flask.wrappers import Response


class Request(FlaskRequest):
    """Flask's request. moto tells a server's requests from its in-process
    mock's by "werkzeug" in the name of their type: Flask hands it its
    `request`, a werkzeug LocalProxy (then moto adds no Date header of its
    own; the server adds one). The module's name says it the same way."""

    __module__ = "sim.fastdispatch.as_werkzeug"


# Services whose moto URL map is one path at the root, answered by one dispatch.
SERVICES = ("autoscaling", "ecs", "ec2", "sts")


class FastDispatch:
    def __init__(self, moto_app):
        self.moto = moto_app          # moto's DomainDispatcherApplication: the fallback
        self.enabled = True
        self.answered = 0             # requests answered here, not through Flask
        self._dispatch = {}           # service -> (dispatch, Flask app config)
        for service in SERVICES:
            urls = importlib.import_module(f"moto.{service}.urls")
            paths = list(urls.url_paths.items())
            if len(paths) == 1 and paths[0][0] in ("{0}/$", "{0}/"):
                self._dispatch[service] = paths[0][1]
        self._config = {}

    def _limits(self, service):
        cfg = self._config.get(service)
        if cfg is None:
            app = self.moto.app_instances.get(service)
            if app is None:
                app = self.moto.app_instances[service] = self.moto.create_app(service)
            cfg = self._config[service] = (app.config["MAX_CONTENT_LENGTH"], app.config["MAX_FORM_MEMORY_SIZE"],
                                           app.config["MAX_FORM_PARTS"])
        return cfg

    def __call__(self, environ, start_response, service):
        dispatch = self._dispatch.get(service) if self.enabled else None
        if (dispatch is None or environ.get("PATH_INFO") != "/" or environ.get("REQUEST_METHOD") != "POST"
                or environ.get("HTTP_CONTENT_ENCODING") or environ.get("HTTP_ORIGIN")
                or _signed_service(environ) != service):
            return self.moto(environ, start_response)
        self.answered += 1
        request = Request(environ)
        (request.max_content_length, request.max_form_memory_size,
         request.max_form_parts) = self._limits(service)
        try:
            result = dispatch(request, _url(environ) or request.url, dict(request.headers))
        except ClientError as exc:  # as moto's convert_to_flask_response
            result = 400, {}, exc.response["Error"]["Message"]
        if len(result) == 3:
            status, headers, content = result
        else:
            status, headers, content = 200, {}, result
        response = Response(response=content, status=status, headers=headers)
        # flask_cors, as moto sets it up (origins "*", always_send): on every answer.
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response(environ, start_response)


_PLAIN_HOST = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:")


def _url(environ):
    """request.url of a POST to "/" with no query from a plain host name or
    address: werkzeug's (get_current_url, with its IRI decoding, 0.1-0.2 ms of
    a 1 ms termination) gives the same text. None otherwise: werkzeug's."""
    host = environ.get("HTTP_HOST", "")
    if (not host or environ.get("QUERY_STRING") or environ.get("SCRIPT_NAME")
            or environ.get("wsgi.url_scheme") != "http" or not _PLAIN_HOST.issuperset(host)
            or host.endswith(":80")):  # werkzeug drops the default port
        return None
    return f"http://{host.lower()}/"  # and lowers the name


def _signed_service(environ):
    """The service in the request's SigV4 credential scope; None if unsigned."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if "Credential=" not in auth:
        return None
    scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
    return scope[3] if len(scope) > 3 else None
