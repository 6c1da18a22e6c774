#!/usr/bin/python3
"""kafka-python (2.0.2, pure python) driver for the integration tests.

Usage: /usr/bin/python3 kafka_python_client.py <produce|consume> '<json args>'
Prints one JSON document on its last stdout line with what the client observed.
"""
import json
import logging
import sys
import time

import kafka
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

logging.basicConfig(stream=sys.stderr, level=logging.WARNING)


def out(doc):
    sys.stdout.write(json.dumps(doc) + "\n")
    sys.stdout.flush()


def cmd_produce(a):
    """Sends `count` records (key k-<i>, value <prefix>-<i>, header seq) and reports each
    acknowledged (partition, offset, value) from the returned RecordMetadata."""
    p = KafkaProducer(
        bootstrap_servers=a["bootstrap"],
        acks=a.get("acks", "all") if a.get("acks", "all") == "all" else int(a["acks"]),
        compression_type=a.get("compression"),
        linger_ms=a.get("linger_ms", 5),
        request_timeout_ms=30000,
        api_version_auto_timeout_ms=10000,
    )
    prefix = a.get("prefix", "v")
    futures = []
    for i in range(a["count"]):
        f = p.send(a["topic"], key=("k-%d" % i).encode(), value=("%s-%d" % (prefix, i)).encode(),
                   headers=[("seq", str(i).encode())], partition=a.get("partition", 0))
        futures.append((i, f))
    p.flush(60)
    delivered, errors = [], []
    for i, f in futures:
        try:
            md = f.get(timeout=30)
            delivered.append({"partition": md.partition, "offset": md.offset, "value": "%s-%d" % (prefix, i)})
        except Exception as e:  # noqa: BLE001
            errors.append({"value": "%s-%d" % (prefix, i), "error": repr(e)})
    p.close(10)
    out({"delivered": delivered, "errors": errors, "api_version": list(p.config.get("api_version") or [])})


def cmd_consume(a):
    """group_id=None + assign(); seek to start_offset; read until the end offset seen at start."""
    c = KafkaConsumer(
        bootstrap_servers=a["bootstrap"],
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="none",
        consumer_timeout_ms=1000,
        api_version_auto_timeout_ms=10000,
    )
    tp = TopicPartition(a["topic"], a.get("partition", 0))
    c.assign([tp])
    end = c.end_offsets([tp])[tp]
    begin = c.beginning_offsets([tp])[tp]
    c.seek(tp, a.get("start_offset", 0))
    records = []
    deadline = time.time() + a.get("timeout", 30)
    while time.time() < deadline and c.position(tp) < end:
        batch = c.poll(timeout_ms=500)
        for msgs in batch.values():
            for m in msgs:
                records.append({
                    "offset": m.offset,
                    "key": None if m.key is None else m.key.decode(),
                    "value": None if m.value is None else m.value.decode(),
                    "headers": [[k, v.decode()] for k, v in (m.headers or [])],
                    "timestamp": m.timestamp,
                })
    c.close()
    out({"begin": begin, "end": end, "records": records})


if __name__ == "__main__":
    cmds = {"produce": cmd_produce, "consume": cmd_consume}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.stderr.write("usage: kafka_python_client.py <produce|consume> '<json>'\n")
        sys.exit(2)
    sys.stderr.write("kafka-python %s\n" % kafka.__version__)
    cmds[sys.argv[1]](json.loads(sys.argv[2]) if len(sys.argv) > 2 else {})
