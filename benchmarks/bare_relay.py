"""The baseline for chat_fanout.py: a relay written directly on the `websockets` library.

Visitors send {"type": "send", "client_id", "body"}; the relay acknowledges and forwards each message to every
connected agent, with no database, no validation and no authorisation: the cheapest possible routing of the
same traffic. Run as its own process: python benchmarks/bare_relay.py PORT
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys

from websockets.asyncio.server import ServerConnection, broadcast, serve

agents: set[ServerConnection] = set()
sequence = itertools.count(1)


async def handler(connection: ServerConnection) -> None:
    if connection.request is not None and connection.request.path.startswith("/agent"):
        agents.add(connection)
        try:
            await connection.wait_closed()
        finally:
            agents.discard(connection)
        return
    async for raw in connection:
        frame = json.loads(raw)
        message = {
            "seq": next(sequence),
            "client_id": frame["client_id"],
            "body": frame["body"],
            "author_type": "visitor",
        }
        await connection.send(json.dumps({"type": "ack", "client_id": frame["client_id"], "message": message}))
        broadcast(agents, json.dumps({"type": "message", "message": message}))


async def main(port: int) -> None:
    async with serve(handler, "127.0.0.1", port, max_queue=None):
        print("ready", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
