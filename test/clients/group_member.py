#!/usr/bin/python3
"""A long-running consumer-group member for the group integration tests.

Usage: /usr/bin/python3 group_member.py <confluent|kafka-python> '<json args>'
Prints one JSON event per stdout line as it happens, so a test can follow the member live:
  {"event": "assigned", "partitions": [...]}   the member's whole assignment after a change
  {"event": "record", "p": P, "o": O, "v": V}  a record processed (after its commit, if "sync")
  {"event": "eof"}                             every assigned partition reached its end
  {"event": "committed", "offsets": {"P": O}}  max_records reached: these offsets (next to
                                               read, per partition) were committed synchronously
  {"event": "closed"}                          left the group (SIGTERM, exit_on_eof, max_records)
SIGTERM closes the consumer (leaving the group, as a clean shutdown does); SIGKILL does not.
Args: bootstrap, group, topic, strategy (confluent), instance_id, session_timeout_ms,
commit ("auto" | "sync"), exit_on_eof, max_records (process exactly that many records, commit
their offsets synchronously, close the consumer cleanly and exit 0: a deterministic "stop
partway", independent of timing).
"""
import json
import logging
import signal
import sys
import time

logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
stopping = False


def out(doc):
    sys.stdout.write(json.dumps(doc) + "\n")
    sys.stdout.flush()


def on_term(_sig, _frame):
    global stopping
    stopping = True


def run_confluent(a):
    from confluent_kafka import Consumer, KafkaError

    strategy = a.get("strategy", "range")
    conf = {
        "bootstrap.servers": a["bootstrap"],
        "group.id": a["group"],
        "partition.assignment.strategy": strategy,
        "session.timeout.ms": a.get("session_timeout_ms", 6000),
        "heartbeat.interval.ms": 500,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": a.get("commit", "auto") == "auto",
        "enable.partition.eof": True,
        "topic.metadata.refresh.interval.ms": 2000,
    }
    if a.get("instance_id"):
        conf["group.instance.id"] = a["instance_id"]
    c = Consumer(conf)
    cooperative = strategy == "cooperative-sticky"
    owned = set()
    at_eof = set()

    def report():
        out({"event": "assigned", "partitions": sorted(owned)})

    def on_assign(_c, parts):
        if not cooperative:
            owned.clear()
        for p in parts:
            owned.add(p.partition)
            at_eof.discard(p.partition)
        report()

    def on_revoke(_c, parts):
        for p in parts:
            owned.discard(p.partition)
            at_eof.discard(p.partition)
        if cooperative or parts:
            report()

    c.subscribe([a["topic"]], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_revoke)
    eof_reported = False
    max_records = a.get("max_records")
    processed = {}  # partition -> next offset to read (last processed + 1)
    count = 0
    while not stopping and (max_records is None or count < max_records):
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                at_eof.add(m.partition())
                if owned and owned <= at_eof and not eof_reported:
                    eof_reported = True
                    out({"event": "eof"})
                    if a.get("exit_on_eof"):
                        break
            continue
        eof_reported = False
        at_eof.discard(m.partition())
        if a.get("commit") == "sync":
            c.commit(message=m, asynchronous=False)
        out({"event": "record", "p": m.partition(), "o": m.offset(), "v": m.value().decode()})
        processed[m.partition()] = m.offset() + 1
        count += 1
    if max_records is not None and count >= max_records and processed:
        from confluent_kafka import TopicPartition
        c.commit(offsets=[TopicPartition(a["topic"], p, o) for p, o in sorted(processed.items())], asynchronous=False)
        out({"event": "committed", "offsets": {str(p): o for p, o in sorted(processed.items())}})
    c.close()
    out({"event": "closed"})


def run_kafka_python(a):
    from kafka import KafkaConsumer, OffsetAndMetadata, TopicPartition

    c = KafkaConsumer(
        a["topic"],
        bootstrap_servers=a["bootstrap"],
        group_id=a["group"],
        auto_offset_reset="earliest",
        enable_auto_commit=a.get("commit", "auto") == "auto",
        session_timeout_ms=a.get("session_timeout_ms", 10000),
        heartbeat_interval_ms=1000,
        api_version_auto_timeout_ms=10000,
    )
    max_records = a.get("max_records")
    processed = {}  # partition -> next offset to read (last processed + 1)
    count = 0
    last = None
    while not stopping and (max_records is None or count < max_records):
        batches = c.poll(timeout_ms=200)
        assignment = sorted(tp.partition for tp in c.assignment())
        if assignment != last:
            last = assignment
            out({"event": "assigned", "partitions": assignment})
        for tp, msgs in batches.items():
            for m in msgs:
                if stopping or (max_records is not None and count >= max_records):
                    break
                if a.get("commit") == "sync":
                    c.commit({TopicPartition(tp.topic, tp.partition): OffsetAndMetadata(m.offset + 1, "")})
                out({"event": "record", "p": m.partition, "o": m.offset, "v": m.value.decode()})
                processed[m.partition] = m.offset + 1
                count += 1
            else:
                continue
            break
    if max_records is not None and count >= max_records and processed:
        # Commit exactly what was processed (not the fetch position, which may be further on).
        c.commit({TopicPartition(a["topic"], p): OffsetAndMetadata(o, "") for p, o in processed.items()})
        out({"event": "committed", "offsets": {str(p): o for p, o in sorted(processed.items())}})
    if max_records is not None:
        c.close(autocommit=False)
    else:
        c.close()
    out({"event": "closed"})


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, on_term)
    kind, args = sys.argv[1], json.loads(sys.argv[2])
    run_confluent(args) if kind == "confluent" else run_kafka_python(args)
