#!/usr/bin/python3
"""Long-running numbered-record producer (confluent-kafka-python / librdkafka) for the
cluster fault-injection tests.

Usage: /usr/bin/python3 seq_producer.py '<json args>'
  bootstrap, topic, partitions (records go round-robin: seq i -> partition i % partitions),
  rate (records/s, default 1000), acks (default "all"), idempotent (default true),
  message_timeout_ms (default 60000), max_attempts (default 5: a record whose delivery
  failed with a retriable error is produced again, as a NEW seq), stop_file (optional),
  config (extra librdkafka settings).

Every record's value is "seq-<seq>" (seq unique per produce() call, increasing in produce
order). One JSON line on stdout per event:
  {"ev":"ack","p":P,"o":OFFSET,"seq":S}
  {"ev":"err","p":P,"seq":S,"error":"NAME: text","code":N,"retriable":bool,"fatal":bool}
  {"ev":"retry","seq":OLD,"new_seq":NEW}
  {"ev":"client_error","error":"...","fatal":bool}      (librdkafka error_cb)
  {"ev":"done","produced":N,"undelivered":N}             after stdin closes (or stop_file appears)
"""
import json
import os
import sys
import threading
import time

from confluent_kafka import KafkaError, KafkaException, Producer


def main(a):
    lock = threading.Lock()

    def emit(doc):
        with lock:
            sys.stdout.write(json.dumps(doc) + "\n")
            sys.stdout.flush()

    def err_fields(e):
        if isinstance(e, KafkaException):
            e = e.args[0]
        if isinstance(e, KafkaError):
            return {"error": "%s: %s" % (e.name(), e.str()), "code": e.code(), "retriable": bool(e.retriable()), "fatal": bool(e.fatal())}
        return {"error": str(e), "code": None, "retriable": False, "fatal": False}

    def on_client_error(e):
        f = err_fields(e)
        emit({"ev": "client_error", "error": f["error"], "fatal": f["fatal"]})

    conf = {
        "bootstrap.servers": a["bootstrap"],
        "acks": str(a.get("acks", "all")),
        "enable.idempotence": bool(a.get("idempotent", True)),
        "linger.ms": a.get("linger_ms", 5),
        "message.timeout.ms": a.get("message_timeout_ms", 60000),
        "compression.type": "none",
        "reconnect.backoff.ms": 50,
        "reconnect.backoff.max.ms": 500,
        "retry.backoff.ms": 100,
        "topic.metadata.refresh.interval.ms": 1000,
        "socket.timeout.ms": 5000,
        "error_cb": on_client_error,
    }
    conf.update(a.get("config", {}))
    p = Producer(conf)

    topic = a["topic"]
    partitions = int(a.get("partitions", 1))
    rate = float(a.get("rate", 1000))
    max_attempts = int(a.get("max_attempts", 5))
    stop_file = a.get("stop_file")
    stop = threading.Event()

    def watch_stdin():
        sys.stdin.read()
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()

    retry_queue = []  # (partition, attempt, old_seq)
    attempts = {}  # seq -> attempt number
    next_seq = [0]

    def on_delivery(e, m):
        seq = int(m.value().decode()[4:])
        if e is None:
            emit({"ev": "ack", "p": m.partition(), "o": m.offset(), "seq": seq})
            attempts.pop(seq, None)
            return
        f = err_fields(e)
        emit(dict({"ev": "err", "p": m.partition(), "seq": seq}, **f))
        attempt = attempts.pop(seq, 1)
        if f["retriable"] or f["code"] == KafkaError._MSG_TIMED_OUT:
            if attempt < max_attempts:
                retry_queue.append((m.partition(), attempt + 1, seq))

    def produce_one(partition, attempt):
        seq = next_seq[0]
        while True:
            try:
                p.produce(topic, value=("seq-%d" % seq).encode(), partition=partition, on_delivery=on_delivery)
                break
            except BufferError:
                p.poll(0.05)
        next_seq[0] = seq + 1
        attempts[seq] = attempt
        return seq

    started = time.time()
    fresh = 0  # records produced for the first time (drives the rate)
    while not stop.is_set():
        if stop_file and os.path.exists(stop_file):
            break
        while retry_queue:
            part, attempt, old = retry_queue.pop(0)
            new = produce_one(part, attempt)
            emit({"ev": "retry", "seq": old, "new_seq": new})
        if fresh >= (time.time() - started) * rate or len(p) > 5000:
            p.poll(0.005)
            continue
        produce_one(fresh % partitions, 1)
        fresh += 1
        p.poll(0)
    remaining = p.flush(a.get("flush_timeout", 60))
    emit({"ev": "done", "produced": next_seq[0], "undelivered": remaining})


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write("usage: seq_producer.py '<json args>'\n")
        sys.exit(2)
    main(json.loads(sys.argv[1]))
