"""Live preview for staff: build, serve on 127.0.0.1, rebuild on every change and reload open pages."""

from __future__ import annotations

import functools
import html
import http.server
import threading
from pathlib import Path

import click

from .errors import BuildError

WATCHED = ("content", "data", "templates", "site.toml")
# Served only by the preview server and injected only into its responses: the published site
# never carries any of this.
PREVIEW_SCRIPT = """\
// Reloads the page when the preview server reports a new build.
(function () {
  "use strict";
  var source = new EventSource("/__preview/events");
  var seen = null;
  source.onmessage = function (event) {
    if (seen !== null && event.data !== seen) { window.location.reload(); }
    seen = event.data;
  };
})();
"""
PREVIEW_STYLE = """\
.preview-error { margin: 0; padding: 1rem 1.25rem; background: #fff4f4; color: #5c0b0b;
  border-block-end: 4px solid #a4262c; font: 1rem/1.5 system-ui, sans-serif; }
.preview-error h2 { margin: 0 0 0.5rem; font-size: 1.2rem; }
.preview-error pre { margin: 0; white-space: pre-wrap; font: 0.95rem/1.5 ui-monospace, monospace; }
"""


class Preview:
    """The state the server shares with the watcher: which build is current and its last error."""

    def __init__(self, build):
        self._build = build
        self.generation = 0
        self.error: str | None = None
        self.changed = threading.Condition()

    def rebuild(self) -> None:
        """Build again; on success the new site is served, on failure the old one stays with the error shown."""
        try:
            self._build()
            error = None
        except BuildError as exc:
            error = "\n".join(p.format() for p in exc.problems)
        with self.changed:
            self.error = error
            self.generation += 1
            self.changed.notify_all()
        if error:
            click.echo(error, err=True)
        else:
            click.echo(f"Rebuilt (build {self.generation}).", err=True)

    def wait(self, seen: int, timeout: float) -> int:
        """Block until a build newer than `seen` finishes, or `timeout` seconds pass."""
        with self.changed:
            self.changed.wait_for(lambda: self.generation != seen, timeout=timeout)
            return self.generation


class PreviewHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the built site, plus the reload stream, and marks every page with the preview script."""

    preview: Preview

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/__preview/events":
            return self._events()
        if self.path in ("/__preview/reload.js", "/__preview/preview.css"):
            body = (PREVIEW_SCRIPT if self.path.endswith(".js") else PREVIEW_STYLE).encode()
            kind = "text/javascript" if self.path.endswith(".js") else "text/css"
            return self._send(200, kind, body)
        target = Path(self.translate_path(self.path))
        if target.is_dir():
            target = target / "index.html"
        if target.suffix == ".html" and target.is_file():
            return self._send(200, "text/html; charset=utf-8", self._mark(target.read_text(encoding="utf-8")))
        return super().do_GET()

    def _mark(self, page: str) -> bytes:
        head = '<link rel="stylesheet" href="/__preview/preview.css"><script src="/__preview/reload.js" defer></script>'
        page = page.replace("</head>", head + "</head>", 1)
        if self.preview.error:
            panel = ('<section class="preview-error" role="alert"><h2>The last change could not be built; '
                     "this is the previous version.</h2><pre>" + html.escape(self.preview.error) + "</pre></section>")
            page = page.replace("<body>", "<body>" + panel, 1)
        return page.encode("utf-8")

    def _send(self, status: int, kind: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        seen = self.preview.generation
        try:
            self.wfile.write(f"retry: 500\ndata: {seen}\n\n".encode())
            self.wfile.flush()
            while True:
                current = self.preview.wait(seen, timeout=15)
                # A comment line every 15 s keeps idle connections open through proxies.
                message = f"data: {current}\n\n" if current != seen else ": idle\n\n"
                self.wfile.write(message.encode())
                self.wfile.flush()
                seen = current
        except (BrokenPipeError, ConnectionResetError):
            return


def make_server(preview: Preview, output: Path, port: int) -> http.server.ThreadingHTTPServer:
    """An HTTP server on 127.0.0.1 for the folder `output`."""
    handler = type("Handler", (PreviewHandler,), {"preview": preview})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(handler, directory=str(output)))
    server.daemon_threads = True
    return server


def watch_and_rebuild(root: Path, preview: Preview, stop: threading.Event) -> None:
    """Rebuild whenever a watched file changes, until `stop` is set."""
    import watchfiles

    paths = [root / name for name in WATCHED if (root / name).exists()]
    for _changes in watchfiles.watch(*paths, stop_event=stop, debounce=150, step=50):
        preview.rebuild()


def serve(root: Path, output: Path, port: int, build) -> None:
    """Build, then serve `output` with live reload until interrupted."""
    preview = Preview(build)
    preview.rebuild()
    if preview.generation and preview.error and not (output / "index.html").exists():
        raise BuildError.single("site", "the first build failed, so there is nothing to preview yet")
    server = make_server(preview, output, port)
    stop = threading.Event()
    watcher = threading.Thread(target=watch_and_rebuild, args=(root, preview, stop), daemon=True)
    watcher.start()
    try:
        # Inside the try: a Ctrl+C right after this line must still stop the preview cleanly.
        click.echo(f"Previewing at http://127.0.0.1:{server.server_address[1]}/ (Ctrl+C to stop)", err=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
