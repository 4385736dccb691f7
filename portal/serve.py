"""Live preview for staff: build, serve on 127.0.0.1, rebuild on every change and reload open pages."""

from __future__ import annotations

import errno
import functools
import html
import http.server
import os
import posixpath
import re
import signal
import socket
import threading
from pathlib import Path

import click

from .errors import BuildError, InternalError, explain

# The preview's own folder: drafts shown there never reach the published site/.
PREVIEW_DIR = ".preview"

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
    document.documentElement.setAttribute("data-preview-build", seen);  // listening, at this build
  };
  // The search index follows a build a moment later: only the search page shows it.
  source.addEventListener("search", function () {
    if (document.querySelector("[data-search-bundle]")) { window.location.reload(); }
  });
})();
"""
PREVIEW_STYLE = """\
.preview-error { margin: 0; padding: 1rem 1.25rem; background: #fff4f4; color: #5c0b0b;
  border-block-end: 4px solid #a4262c; font: 1rem/1.5 system-ui, sans-serif; }
.preview-error h2 { margin: 0 0 0.5rem; font-size: 1.2rem; }
.preview-error pre { margin: 0; white-space: pre-wrap; font: 0.95rem/1.5 ui-monospace, monospace; }
.preview-unpublished { margin: 0; padding: 0.75rem 1.25rem; background: #fff8e1; color: #4a3500;
  border-block-end: 4px solid #b26a00; font: 1rem/1.5 system-ui, sans-serif; }
.preview-badge { display: inline-block; margin-inline-end: 0.4em; padding: 0 0.4em; border-radius: 0.25em;
  background: #b26a00; color: #fff; font: 0.8em/1.6 system-ui, sans-serif; }
"""
ANCHOR = re.compile(r'<a\b[^>]*?\bhref="([^"#?]+)[^"]*"[^>]*>')
BODY = re.compile(r"<body\b[^>]*>")


class Preview:
    """The state the server shares with the watcher: which build is current and its last error."""

    def __init__(self, build, after=None):
        self._build = build
        # What follows each successful build once its pages are shown (the search index it left behind).
        self._after = after
        self.generation = 0
        self.built = 0  # the generation of the last build; a later one only brought the search index up to date
        self.error: str | None = None
        # Pages of announcements the published site would not show (drafts, scheduled), by path.
        self.unpublished: dict[str, str] = {}
        self.changed = threading.Condition()

    def rebuild(self) -> None:
        """Build again; on success the new site is served, on failure the old one stays with the error shown.

        Nothing a rebuild raises stops the watcher: a bug in the portal is shown like a mistake.
        """
        unpublished = self.unpublished
        try:
            unpublished = self._build() or {}
            error = None
        except Exception as exc:  # whatever the change was, the next one must still be built
            error = _told(exc)
        self._show(error, unpublished)
        if error:
            click.echo(error, err=True)
            return
        click.echo(f"Rebuilt (build {self.generation}).", err=True)
        try:
            if self._after is not None and self._after():
                self._show(None, unpublished, pages=False)
        except Exception as exc:
            self._show(_told(exc), unpublished)
            click.echo(self.error, err=True)

    def _show(self, error: str | None, unpublished: dict[str, str], pages: bool = True) -> None:
        """Serve what is now in the output folder with `error` above it, and reload the open pages
        (`pages` False: only the search index changed, and only search pages reload)."""
        with self.changed:
            self.error = error
            self.unpublished = unpublished
            self.generation += 1
            if pages or error:
                self.built = self.generation
            self.changed.notify_all()

    def wait(self, seen: int, timeout: float) -> int:
        """Block until a build newer than `seen` finishes, or `timeout` seconds pass."""
        with self.changed:
            self.changed.wait_for(lambda: self.generation != seen, timeout=timeout)
            return self.generation


def _told(exc: Exception) -> str:
    """What went wrong, as the preview shows it."""
    told = explain(exc)
    if isinstance(told, BuildError):
        return "\n".join(p.format() for p in told.problems)
    if isinstance(told, InternalError):
        return f"{told.trace}\nThis is a bug in the portal, not a mistake in your files: please report it."
    return told.format_message()


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
            here = Path(os.path.relpath(target, self.directory)).as_posix()
            return self._send(200, "text/html; charset=utf-8", self._mark(target.read_text(encoding="utf-8"), here))
        if self.preview.error and not (Path(self.directory) / "index.html").is_file():
            # No build has succeeded yet: the problems are all there is to show.
            page = "<!DOCTYPE html><html><head><title>Preview</title></head><body></body></html>"
            return self._send(503, "text/html; charset=utf-8", self._mark(page, ""))
        return super().do_GET()

    def _mark(self, page: str, here: str) -> bytes:
        head = '<link rel="stylesheet" href="/__preview/preview.css"><script src="/__preview/reload.js" defer></script>'
        page = page.replace("</head>", head + "</head>", 1)
        top = ""
        if self.preview.error:
            top += ('<section class="preview-error" role="alert"><h2>The last change could not be built; '
                    "this is the previous version.</h2><pre>" + html.escape(self.preview.error) + "</pre></section>")
        unpublished = self.preview.unpublished
        if here in unpublished:
            top += (f'<p class="preview-unpublished" role="note">Preview only: this announcement is '
                    f"{html.escape(unpublished[here])}; the published site does not show it.</p>")
        if unpublished:
            page = ANCHOR.sub(lambda m: self._badge(m, here, unpublished), page)
        if top:
            page = BODY.sub(lambda m: m.group() + top, page, count=1)
        return page.encode("utf-8")

    @staticmethod
    def _badge(match: re.Match, here: str, unpublished: dict[str, str]) -> str:
        """A link to an unpublished announcement, with a badge saying why it is not published."""
        href = match.group(1)
        if "://" in href or href.startswith("/"):
            return match.group()
        target = posixpath.normpath(posixpath.join(posixpath.dirname(here), href))
        label = unpublished.get(target)
        if label is None:
            return match.group()
        word = "draft" if label == "a draft" else "scheduled"
        return f'{match.group()}<span class="preview-badge">{word}</span>'

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
                if current == seen:
                    message = ": idle\n\n"
                elif self.preview.built > seen:
                    message = f"data: {current}\n\n"
                else:
                    message = f"event: search\ndata: {current}\n\n"
                self.wfile.write(message.encode())
                self.wfile.flush()
                seen = current
        except (BrokenPipeError, ConnectionResetError):
            return


def make_server(preview: Preview, output: Path, port: int) -> http.server.ThreadingHTTPServer:
    """An HTTP server on 127.0.0.1 for the folder `output`; a port in use is said in one line."""
    handler = type("Handler", (PreviewHandler,), {"preview": preview})
    try:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(handler, directory=str(output)))
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        free = next_free_port(port + 1)
        hint = f"; the next free one is {free}: use --port {free}" if free else ""
        raise click.ClickException(f"port {port} on 127.0.0.1 is in use by another program{hint}") from None
    server.daemon_threads = True
    return server


def next_free_port(start: int, tries: int = 100) -> int | None:
    """The first port from `start` that nothing listens on, if one is found soon."""
    for port in range(start, min(start + tries, 65536)):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return None


def watch_and_rebuild(root: Path, preview: Preview, stop: threading.Event) -> None:
    """Rebuild whenever a watched file changes, until `stop` is set."""
    import watchfiles

    paths = [root / name for name in WATCHED if (root / name).exists()]
    for _changes in watchfiles.watch(*paths, stop_event=stop, debounce=150, step=50):
        preview.rebuild()


def check_preview_output(root: Path, output: Path) -> None:
    """Refuse to preview into the published folder: drafts would end up in its feed and sitemap."""
    if output.resolve() == (root / "site").resolve():
        raise BuildError.single(str(output), "the preview never builds into site/, the published folder; "
                                f"leave out --output (it uses {PREVIEW_DIR}/) or choose another folder")


def build_preview(root: Path, output: Path, drafts: bool) -> dict[str, str]:
    """One preview build into `output`; return the pages it shows that the published site would not.

    The search bundles an edit reaches keep their earlier index until finish_preview, so the
    edited page is shown without waiting for Pagefind.
    """
    from .build import build

    return build(root, output, drafts=drafts, future=drafts, preview=True).unpublished


def finish_preview(root: Path, output: Path) -> bool:
    """Bring the preview's search index up to date after build_preview; return whether it changed."""
    from .build import finish_preview as finish

    return finish(root, output)


def _stop_on_signal(signum, frame):
    raise KeyboardInterrupt


def serve(root: Path, output: Path, port: int, build, after=None) -> None:
    """Serve `output` with live reload until interrupted, building it first and after every change
    (and calling `after` once each build is shown)."""
    # A shell without job control starts background jobs with SIGINT ignored, and Python then
    # leaves it ignored: Ctrl+C (or `kill`) must stop the preview however it was started.
    signal.signal(signal.SIGINT, _stop_on_signal)
    signal.signal(signal.SIGTERM, _stop_on_signal)
    preview = Preview(build, after)
    # Bound before the first build: a port in use is known at once, not after a long build.
    server = make_server(preview, output, port)
    stop = threading.Event()
    try:
        preview.rebuild()
        watcher = threading.Thread(target=watch_and_rebuild, args=(root, preview, stop), daemon=True)
        watcher.start()
        # Inside the try: a Ctrl+C right after this line must still stop the preview cleanly.
        click.echo(f"Previewing at http://127.0.0.1:{server.server_address[1]}/ (Ctrl+C to stop)", err=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
