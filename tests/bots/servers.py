"""Real HTTP servers for tests, on 127.0.0.1: one that answers one request at a time, slowly, as llama.cpp's server
does with one slot, and nothing else running in it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer


class _OneAtATime(HTTPServer):
    request_queue_size = 128  # connections wait in the backlog, not refused: the queue is the server's
    handled = 0  # requests it worked on, including those whose client had given up by then

    def handle_error(self, request, client_address) -> None:  # a client that hung up is not a test failure
        pass


@contextmanager
def one_at_a_time(service_s: float, content: Callable[[dict], str]) -> Iterator[tuple[str, _OneAtATime]]:
    """A single-threaded chat-completions server taking `service_s` per request, whoever is still waiting for it;
    `content(request body)` is the reply text. Yields (base URL, server)."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            server.handled += 1
            time.sleep(service_s)
            data = json.dumps({"id": "x", "object": "chat.completion", "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content(body)}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 5}}).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass

    server = _OneAtATime(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
