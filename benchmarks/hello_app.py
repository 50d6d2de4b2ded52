"""The ceiling reference: a bare Starlette endpoint with no work in it, served by uvicorn exactly as
mlhandler is. `python -m uvicorn hello_app:app --app-dir benchmarks` (run.py starts it)."""

from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

BODY = b'[{"hello":"world"}]'


async def hello(request):
    return Response(BODY, media_type="application/json")


app = Starlette(routes=[Route("/", hello)])
