"""What the fault suite needs besides the robots: a TCP proxy in front of PostgreSQL that
can refuse and cut connections (the database stopped and started, as the robots' driver
sees it), and the ledger audit each fault ends with."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from lxml import etree
from sqlalchemy import create_engine, text

from robots.core.payments.pain001 import validate_pain001

NS = {"p": "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"}


class DatabaseProxy:
    """Forwards 127.0.0.1:<port> to the real database while open; refuses connections
    while closed, and `cut` also drops every open connection mid-conversation."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self._target = (parts.hostname or "127.0.0.1", parts.port or 5432)
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        netloc = parts.netloc.rsplit("@", 1)
        host = f"127.0.0.1:{self.port}"
        self.url = urlunsplit(
            parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) == 2 else host)
        )
        self._listener: socket.socket | None = None
        self._pipes: list[socket.socket] = []
        self._lock = threading.Lock()

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Stop listening and reset every connection: the server is gone."""
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            pipes, self._pipes = self._pipes, []
        for pipe in pipes:
            with contextlib.suppress(OSError):
                pipe.shutdown(socket.SHUT_RDWR)
            pipe.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self._target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pipes += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


def audit_ledger(url: str, data_dir: Path) -> dict[str, int]:
    """What every fault ends with: nothing lost, nothing paid twice, files equal to the
    ledger. Returns the figures checked (claims paid, transfers, øre) for the note.

    * no claim has more than one payment item, and none is left in a prepared batch;
    * every released batch's pain.001 is on disk, valid against the XSD, and holds
      exactly the ledger's transfers of that batch (EndToEndIds and amounts), and no
      payment file exists for a batch the ledger does not hold;
    * every file the night put in the inbox has left it (archived or quarantined).
    """
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.connect() as connection:
        twice = connection.execute(
            text("SELECT claim_pk FROM payment_items GROUP BY claim_pk HAVING COUNT(*) > 1")
        ).all()
        prepared = connection.execute(
            text("SELECT id FROM payment_batches WHERE status <> 'released'")
        ).all()
        batches = dict(
            connection.execute(text("SELECT id, payment_file FROM payment_batches")).all()
        )
        transfers = connection.execute(
            text("SELECT batch_id, end_to_end_id, amount_oere FROM payment_transfers")
        ).all()
        items = connection.execute(
            text("SELECT COUNT(*), COALESCE(SUM(amount_oere), 0) FROM payment_items")
        ).one()
    engine.dispose()
    assert twice == [], f"claims paid twice: {twice}"
    assert prepared == [], f"batches never released: {prepared}"
    in_ledger = Counter((b, e, int(a)) for b, e, a in transfers)
    on_disk: Counter[tuple[str, str, int]] = Counter()
    files = sorted((data_dir / "outputs" / "payments").glob("*.xml"))
    assert sorted(f.name.split(".")[0] for f in files) == sorted(batches), "files != batches"
    for path in files:
        validate_pain001(path)
        tree = etree.parse(str(path))
        batch = path.name.split(".")[0]
        for transfer in tree.xpath("//p:CdtTrfTxInf", namespaces=NS):
            e2e = transfer.xpath("string(p:PmtId/p:EndToEndId)", namespaces=NS)
            amount = transfer.xpath("string(p:Amt/p:InstdAmt)", namespaces=NS)
            on_disk[(batch, e2e, int(amount.replace(".", "")))] += 1
    assert on_disk == in_ledger, "the payment files and the ledger disagree"
    left = [p for p in (data_dir / "inbox").rglob("*") if p.is_file()]
    assert [p.name for p in left if p.parent.name == "health_claims"] == [], "a file was lost"
    return {"claims_paid": int(items[0]), "transfers": len(transfers), "oere": int(items[1])}
