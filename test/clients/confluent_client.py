#!/usr/bin/python3
"""confluent-kafka-python (librdkafka) driver for the integration tests.

Usage: /usr/bin/python3 confluent_client.py <command> '<json args>'
Every command prints one JSON document on its last stdout line describing what the
client observed (acknowledged offsets, records read, admin results); the tests assert.
Librdkafka log noise goes to stderr.
"""
import json
import sys
import threading
import time

import confluent_kafka
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic


def out(doc):
    sys.stdout.write(json.dumps(doc) + "\n")
    sys.stdout.flush()


def err_str(e):
    if e is None:
        return None
    if isinstance(e, KafkaException):
        e = e.args[0]
    if hasattr(e, "name"):
        return "%s: %s" % (e.name(), e.str())
    return str(e)


def admin(a):
    return AdminClient({"bootstrap.servers": a["bootstrap"], "socket.timeout.ms": 10000})


def wait_futures(fs, timeout=30):
    res = {}
    for k, f in fs.items():
        try:
            f.result(timeout=timeout)
            res[str(k)] = None
        except Exception as e:  # noqa: BLE001 - reported to the test
            res[str(k)] = err_str(e)
    return res


def cmd_versions(a):
    out({"confluent_kafka": confluent_kafka.version()[0], "librdkafka": confluent_kafka.libversion()[0]})


def cmd_create_topics(a):
    ad = admin(a)
    topics = [
        NewTopic(t["name"], num_partitions=t.get("partitions", 1), replication_factor=t.get("rf", 1), config=t.get("config", {}))
        for t in a["topics"]
    ]
    out({"results": wait_futures(ad.create_topics(topics, operation_timeout=10, request_timeout=15))})


def cmd_list_topics(a):
    ad = admin(a)
    md = ad.list_topics(topic=a.get("topic"), timeout=10)
    topics = {}
    for name, t in md.topics.items():
        topics[name] = {
            "error": err_str(t.error),
            "partitions": {
                str(pid): {"leader": p.leader, "replicas": list(p.replicas), "isrs": list(p.isrs), "error": err_str(p.error)}
                for pid, p in t.partitions.items()
            },
        }
    out({"brokers": {str(b.id): "%s:%d" % (b.host, b.port) for b in md.brokers.values()}, "controller_id": md.controller_id, "topics": topics})


def cmd_describe_configs(a):
    ad = admin(a)
    res = ConfigResource(ConfigResource.Type.TOPIC, a["topic"])
    fs = ad.describe_configs([res], request_timeout=15)
    configs = {}
    error = None
    for _, f in fs.items():
        try:
            entries = f.result(timeout=30)
            for name, e in entries.items():
                configs[name] = {
                    "value": e.value,
                    "source": int(e.source),
                    "is_default": bool(e.is_default),
                    "is_read_only": bool(e.is_read_only),
                }
        except Exception as e:  # noqa: BLE001
            error = err_str(e)
    out({"error": error, "configs": configs})


def cmd_alter_configs(a):
    # confluent-kafka-python 1.7 has no incremental_alter_configs; alter_configs replaces the
    # topic's dynamic config set with exactly these entries.
    ad = admin(a)
    res = ConfigResource(ConfigResource.Type.TOPIC, a["topic"], set_config=a["configs"])
    out({"results": wait_futures(ad.alter_configs([res], request_timeout=15))})


def cmd_create_partitions(a):
    ad = admin(a)
    fs = ad.create_partitions([NewPartitions(a["topic"], a["total"])], operation_timeout=10, request_timeout=15)
    out({"results": wait_futures(fs)})


def cmd_delete_topics(a):
    ad = admin(a)
    out({"results": wait_futures(ad.delete_topics(a["topics"], operation_timeout=10, request_timeout=15))})


def producer_conf(a):
    conf = {
        "bootstrap.servers": a["bootstrap"],
        "acks": str(a.get("acks", "all")),
        "enable.idempotence": bool(a.get("idempotent", False)),
        "linger.ms": a.get("linger_ms", 5),
        "message.timeout.ms": a.get("message_timeout_ms", 30000),
    }
    conf.update(a.get("config", {}))
    return conf


def cmd_produce(a):
    """Produces `count` records (key k-<i>, value <prefix>-<i>, header seq=<i>); reports acks."""
    p = Producer(producer_conf(a))
    delivered = []
    errors = []

    def on_delivery(e, m):
        if e is not None:
            errors.append({"value": m.value().decode(), "error": err_str(e)})
        else:
            delivered.append({"partition": m.partition(), "offset": m.offset(), "key": m.key().decode(), "value": m.value().decode()})

    prefix = a.get("prefix", "v")
    partition = a.get("partition", 0)
    for i in range(a["count"]):
        while True:
            try:
                p.produce(a["topic"], key=("k-%d" % i).encode(), value=("%s-%d" % (prefix, i)).encode(),
                          headers=[("seq", str(i).encode())], partition=partition, on_delivery=on_delivery)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
    remaining = p.flush(a.get("flush_timeout", 60))
    out({"delivered": delivered, "errors": errors, "undelivered": remaining})


def consumer(a):
    return Consumer({
        "bootstrap.servers": a["bootstrap"],
        # confluent-kafka-python requires a group.id even for assign(); no group is joined and
        # nothing is committed.
        "group.id": a.get("group_id", "strand-test-assign-only"),
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,
        "auto.offset.reset": "error",
    })


def cmd_consume(a):
    """assign() one partition at start_offset; read until the high watermark seen at start
    (or `count` records); report (offset, key, value, headers, timestamp)."""
    c = consumer(a)
    topic, partition = a["topic"], a.get("partition", 0)
    start = a.get("start_offset", 0)
    deadline = time.time() + a.get("timeout", 30)
    low, high = c.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
    want = a.get("count")
    records = []
    errors = []
    c.assign([TopicPartition(topic, partition, start)])
    if want is None and high <= start:
        c.close()
        out({"low": low, "high": high, "records": records, "errors": errors})
        return
    while time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == confluent_kafka.KafkaError._PARTITION_EOF:
                if want is None and m.offset() >= high:
                    break
                continue
            errors.append(err_str(m.error()))
            if not m.error().retriable() and m.error().fatal():
                break
            continue
        records.append({
            "offset": m.offset(),
            "key": None if m.key() is None else m.key().decode(),
            "value": None if m.value() is None else m.value().decode(),
            "headers": [[k, None if v is None else v.decode()] for k, v in (m.headers() or [])],
            "timestamp": m.timestamp()[1],
        })
        if want is not None and len(records) >= want:
            break
        if want is None and m.offset() >= high - 1:
            break
    c.close()
    out({"low": low, "high": high, "records": records, "errors": errors})


def cmd_produce_until_stdin_closes(a):
    """Produces values seq-<i> one partition as fast as `rate` allows, printing
    'ACK <offset> <value>' for each acknowledged record and 'ERR <value> <error>' for each
    failure; when stdin closes, flushes and prints 'DONE <undelivered>'."""
    p = Producer(producer_conf(a))
    stop = threading.Event()

    def watch_stdin():
        sys.stdin.read()
        stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    lock = threading.Lock()

    def on_delivery(e, m):
        with lock:
            if e is not None:
                sys.stdout.write("ERR %s %s\n" % (m.value().decode(), err_str(e).replace("\n", " ")))
            else:
                sys.stdout.write("ACK %d %s\n" % (m.offset(), m.value().decode()))
            sys.stdout.flush()

    rate = a.get("rate", 2000)
    i = 0
    started = time.time()
    while not stop.is_set():
        if i >= (time.time() - started) * rate or len(p) > 5000:
            p.poll(0.005)
            continue
        try:
            p.produce(a["topic"], value=("seq-%d" % i).encode(), partition=a.get("partition", 0), on_delivery=on_delivery)
            i += 1
        except BufferError:
            p.poll(0.05)
        p.poll(0)
    remaining = p.flush(a.get("flush_timeout", 60))
    sys.stdout.write("DONE %d\n" % remaining)
    sys.stdout.flush()


def cmd_latency(a):
    """Produces at a fixed rate for `seconds` (linger.ms=0) and reports delivery latency
    percentiles in ms, measured from produce() to the delivery callback."""
    conf = producer_conf(a)
    conf["linger.ms"] = 0
    p = Producer(conf)
    lat = []
    errors = [0]

    def mk(t0):
        def cb(e, m):
            if e is not None:
                errors[0] += 1
            else:
                lat.append((time.perf_counter() - t0) * 1000.0)
        return cb

    rate, seconds = a.get("rate", 1000), a.get("seconds", 10)
    payload = b"x" * a.get("size", 100)
    interval = 1.0 / rate
    start = time.perf_counter()
    n = int(rate * seconds)
    for i in range(n):
        target = start + i * interval
        while True:
            now = time.perf_counter()
            if now >= target:
                break
            p.poll(min(target - now, 0.001))
        p.produce(a["topic"], value=payload, partition=0, on_delivery=mk(time.perf_counter()))
        p.poll(0)
    p.flush(30)
    lat.sort()

    def pct(q):
        if not lat:
            return None
        return lat[min(len(lat) - 1, int(q * len(lat)))]

    out({"count": len(lat), "errors": errors[0], "p50": pct(0.50), "p99": pct(0.99), "max": lat[-1] if lat else None})


def cmd_list_groups(a):
    """AdminClient.list_groups (ListGroups + DescribeGroups in librdkafka): every group, or
    just `group`, with state, protocol and members (assignment sizes in bytes)."""
    groups = admin(a).list_groups(a.get("group"), timeout=a.get("timeout", 15))
    out({"groups": [{
        "id": g.id,
        "error": err_str(g.error) if g.error is not None and g.error.code() != 0 else None,
        "state": g.state,
        "protocol_type": g.protocol_type,
        "protocol": g.protocol,
        "members": [{"id": m.id, "client_id": m.client_id, "client_host": m.client_host,
                     "assignment_bytes": len(m.assignment or b"")} for m in g.members],
    } for g in groups]})


def cmd_commit(a):
    """Synchronous simple commits (no subscription: OffsetCommit with generation -1), in order:
    commits = [{group, topic, offsets: {partition: offset}}]; one consumer per group."""
    consumers = {}
    results = []
    try:
        for c in a["commits"]:
            cons = consumers.get(c["group"])
            if cons is None:
                cons = Consumer({"bootstrap.servers": a["bootstrap"], "group.id": c["group"], "enable.auto.commit": False})
                consumers[c["group"]] = cons
            tps = cons.commit(offsets=[TopicPartition(c["topic"], int(p), o) for p, o in c["offsets"].items()], asynchronous=False)
            results.append([err_str(tp.error) for tp in tps if tp.error is not None])
    finally:
        for cons in consumers.values():
            cons.close()
    out({"errors": [e for r in results for e in r]})


def cmd_committed(a):
    """Consumer.committed (OffsetFetch) for partitions 0..partitions-1 of `topic` in `group`."""
    c = Consumer({"bootstrap.servers": a["bootstrap"], "group.id": a["group"], "enable.auto.commit": False})
    try:
        tps = c.committed([TopicPartition(a["topic"], p) for p in range(a["partitions"])], timeout=a.get("timeout", 20))
        out({"offsets": {str(tp.partition): tp.offset for tp in tps},
             "errors": [err_str(tp.error) for tp in tps if tp.error is not None]})
    finally:
        c.close()


COMMANDS = {
    "versions": cmd_versions,
    "create_topics": cmd_create_topics,
    "list_topics": cmd_list_topics,
    "describe_configs": cmd_describe_configs,
    "alter_configs": cmd_alter_configs,
    "create_partitions": cmd_create_partitions,
    "delete_topics": cmd_delete_topics,
    "produce": cmd_produce,
    "consume": cmd_consume,
    "produce_until_stdin_closes": cmd_produce_until_stdin_closes,
    "latency": cmd_latency,
    "list_groups": cmd_list_groups,
    "committed": cmd_committed,
    "commit": cmd_commit,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.stderr.write("usage: confluent_client.py <%s> '<json>'\n" % "|".join(COMMANDS))
        sys.exit(2)
    COMMANDS[sys.argv[1]](json.loads(sys.argv[2]) if len(sys.argv) > 2 else {})
