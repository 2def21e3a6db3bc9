package pilotage.bench.peer;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.Stores;
import pilotage.v1.EventOuterClass.Event;

/**
 * The Kafka Streams peer of bench-fold: folds a topic of pilotage.v1.Event into per-lot,
 * per-month (Europe/Paris), per-event-type counters, exactly once (exactly_once_v2), skipping
 * resent event ids with a persistent store of the ids seen per lot, like the pilotage projector
 * (decision 0003). Stops by itself once every record of the topic (end offsets read at start) is
 * processed AND committed (the group's committed offsets reach the end offsets), checks that the
 * counters sum to --expected, prints {@code BENCH peer_kafka_streams fold_per_s=… events=…} and
 * exits 0. Exit 1 on error or wrong counts, 3 on timeout.
 */
public final class KafkaStreamsFold {
  static final String SEEN = "seen";
  static final String COUNTS = "counts";
  static final ZoneId PARIS = ZoneId.of("Europe/Paris");
  static final byte[] PRESENT = {1};

  static final AtomicLong processed = new AtomicLong();
  static final AtomicLong folded = new AtomicLong();
  static final AtomicLong duplicates = new AtomicLong();
  static final AtomicLong undecodable = new AtomicLong();
  /** System.nanoTime() of the first record processed (startup and rebalance cost before it). */
  static final AtomicLong firstRecordNanos = new AtomicLong();
  /** End offset of each partition of the input topic, read before starting. */
  static volatile Map<Integer, Long> endOffsets = Map.of();

  /** Body field names ("appointment_held", ...) by field number, as pilotage names them. */
  static final Map<Integer, String> TYPE_NAMES =
      Event.getDescriptor().getOneofs().get(0).getFields().stream()
          .collect(Collectors.toMap(FieldDescriptor::getNumber, FieldDescriptor::getName));

  /** Folds one record into the two stores of its task (one task per partition). */
  static final class Fold implements Processor<byte[], byte[], Void, Void> {
    private ProcessorContext<Void, Void> context;
    private KeyValueStore<Bytes, byte[]> seen;
    private KeyValueStore<String, Long> counts;
    private final StringBuilder key = new StringBuilder(48);

    @Override
    public void init(ProcessorContext<Void, Void> context) {
      this.context = context;
      this.seen = context.getStateStore(SEEN);
      this.counts = context.getStateStore(COUNTS);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
      if (firstRecordNanos.get() == 0) firstRecordNanos.compareAndSet(0, System.nanoTime());
      fold(record.value());
      processed.incrementAndGet();
      // The last record of its partition: ask for a commit now rather than at the next interval.
      context
          .recordMetadata()
          .ifPresent(
              m -> {
                Long end = endOffsets.get(m.partition());
                if (end != null && m.offset() + 1 >= end) context.commit();
              });
    }

    private void fold(byte[] value) {
      Event event;
      try {
        event = Event.parseFrom(value);
      } catch (InvalidProtocolBufferException e) {
        undecodable.incrementAndGet();
        return;
      }
      // Dedup key: lot \0 event_id (pilotage stores a 16-byte XXH3-128 of the same bytes).
      byte[] lot = event.getLotIdBytes().toByteArray();
      byte[] id = event.getEventIdBytes().toByteArray();
      byte[] k = new byte[lot.length + 1 + id.length];
      System.arraycopy(lot, 0, k, 0, lot.length);
      System.arraycopy(id, 0, k, lot.length + 1, id.length);
      Bytes seenKey = Bytes.wrap(k);
      if (seen.get(seenKey) != null) {
        duplicates.incrementAndGet();
        return;
      }
      seen.put(seenKey, PRESENT);
      ZonedDateTime at =
          Instant.ofEpochSecond(event.getOccurredAt().getSeconds()).atZone(PARIS);
      key.setLength(0);
      key.append(event.getLotId()).append('|').append(at.getYear()).append('-');
      if (at.getMonthValue() < 10) key.append('0');
      key.append(at.getMonthValue()).append('|');
      key.append(TYPE_NAMES.getOrDefault(event.getBodyCase().getNumber(), "none"));
      String countKey = key.toString();
      Long current = counts.get(countKey);
      counts.put(countKey, current == null ? 1L : current + 1);
      folded.incrementAndGet();
    }
  }

  static final class Options {
    String bootstrap;
    String topic;
    long expected = -1;
    String appId;
    int threads = Runtime.getRuntime().availableProcessors();
    // Larger than the EOS default (100 ms): fewer transactions. pilotage writes a batch every
    // 20,000 events or 250 ms, so this favours the peer rather than pilotage.
    long commitIntervalMs = 1000;
    long cacheBytes = 64L << 20;
    int maxPollRecords = 5000;
    long lingerMs = 100; // Kafka Streams' own producer default
    int batchBytes = 1 << 20;
    // Kafka's producer-throughput advice: compress batches (lz4, as pilotage's producers do).
    String compression = "lz4";
    String stateDir;
    long timeoutS = 900;
  }

  static void usage() {
    System.err.println(
        "usage: peer-kafka-streams --bootstrap HOST:PORT --topic T --expected N --app-id ID\n"
            + "  [--threads N (cores)] [--commit-interval-ms 1000] [--cache-mb 64]\n"
            + "  [--max-poll-records 5000] [--linger-ms 100] [--batch-kb 1024] [--compression lz4]\n"
            + "  [--state-dir DIR (a temporary directory, removed at the end)] [--timeout-s 900]");
  }

  static Options parse(String[] args) {
    Options o = new Options();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("-h") || a.equals("--help")) {
        usage();
        System.exit(0);
      }
      if (i + 1 >= args.length) throw new IllegalArgumentException(a + " needs a value");
      String v = args[++i];
      switch (a) {
        case "--bootstrap" -> o.bootstrap = v;
        case "--topic" -> o.topic = v;
        case "--expected" -> o.expected = Long.parseLong(v);
        case "--app-id" -> o.appId = v;
        case "--threads" -> o.threads = Integer.parseInt(v);
        case "--commit-interval-ms" -> o.commitIntervalMs = Long.parseLong(v);
        case "--cache-mb" -> o.cacheBytes = Long.parseLong(v) << 20;
        case "--max-poll-records" -> o.maxPollRecords = Integer.parseInt(v);
        case "--linger-ms" -> o.lingerMs = Long.parseLong(v);
        case "--batch-kb" -> o.batchBytes = Integer.parseInt(v) << 10;
        case "--compression" -> o.compression = v;
        case "--state-dir" -> o.stateDir = v;
        case "--timeout-s" -> o.timeoutS = Long.parseLong(v);
        default -> throw new IllegalArgumentException("unknown argument " + a);
      }
    }
    if (o.bootstrap == null || o.topic == null || o.expected < 0 || o.appId == null) {
      throw new IllegalArgumentException("--bootstrap, --topic, --expected and --app-id are required");
    }
    return o;
  }

  static Topology topology(String topic) {
    Topology t = new Topology();
    t.addSource("events", Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(), topic);
    t.addProcessor("fold", Fold::new, "events");
    // Persistent RocksDB stores, each with its changelog topic (logging on by default). The
    // counters are cached (few hot keys: the cache absorbs most updates before the changelog);
    // the seen ids are not (every key is new, a cache would only delay the same writes).
    t.addStateStore(
        Stores.keyValueStoreBuilder(
            Stores.persistentKeyValueStore(SEEN), Serdes.Bytes(), Serdes.ByteArray()),
        "fold");
    t.addStateStore(
        Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(COUNTS), Serdes.String(), Serdes.Long())
            .withCachingEnabled(),
        "fold");
    return t;
  }

  static Properties config(Options o, Path stateDir) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, o.appId);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrap);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, o.threads);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, o.commitIntervalMs);
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, o.cacheBytes);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), o.maxPollRecords);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), o.lingerMs);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.BATCH_SIZE_CONFIG), o.batchBytes);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), o.compression);
    return p;
  }

  public static void main(String[] args) throws Exception {
    Options o;
    try {
      o = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("peer-kafka-streams: " + e.getMessage());
      usage();
      System.exit(2);
      return;
    }
    final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(o.timeoutS);
    Path stateDir =
        o.stateDir != null
            ? Files.createDirectories(Path.of(o.stateDir))
            : Files.createTempDirectory("peer-kafka-streams.");
    Properties adminProps = new Properties();
    adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrap);
    int code = 1;
    try (Admin admin = Admin.create(adminProps)) {
      // What "complete" means: every record now in the topic (the producer has finished).
      TopicDescription d =
          admin.describeTopics(java.util.List.of(o.topic)).allTopicNames().get().get(o.topic);
      Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
      d.partitions().forEach(p -> specs.put(new TopicPartition(o.topic, p.partition()), OffsetSpec.latest()));
      Map<Integer, Long> ends = new HashMap<>();
      admin.listOffsets(specs).all().get().forEach((tp, info) -> ends.put(tp.partition(), info.offset()));
      endOffsets = Map.copyOf(ends);
      long total = ends.values().stream().mapToLong(Long::longValue).sum();
      System.err.printf(
          "peer: topic %s, %d partitions, %d records, expecting %d distinct events; %d threads,"
              + " commit every %d ms, cache %d MiB%n",
          o.topic, ends.size(), total, o.expected, o.threads, o.commitIntervalMs, o.cacheBytes >> 20);

      KafkaStreams streams = new KafkaStreams(topology(o.topic), config(o, stateDir));
      AtomicReference<Throwable> failure = new AtomicReference<>();
      streams.setUncaughtExceptionHandler(
          ex -> {
            failure.compareAndSet(null, ex);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
          });
      final com.sun.management.OperatingSystemMXBean os =
          (com.sun.management.OperatingSystemMXBean)
              java.lang.management.ManagementFactory.getOperatingSystemMXBean();
      final long cpuStart = os.getProcessCpuTime();
      final long start = System.nanoTime();
      streams.start();
      double seconds = -1;
      long cpuNanos = 0;
      try {
        while (true) {
          if (failure.get() != null) throw new IllegalStateException("stream thread failed", failure.get());
          KafkaStreams.State s = streams.state();
          if (s == KafkaStreams.State.ERROR || s == KafkaStreams.State.NOT_RUNNING) {
            throw new IllegalStateException("Kafka Streams stopped: " + s);
          }
          if (System.nanoTime() > deadline) break;
          if (processed.get() >= total && committed(admin, o.appId, o.topic, ends)) {
            seconds = (System.nanoTime() - start) / 1e9;
            cpuNanos = os.getProcessCpuTime() - cpuStart;
            break;
          }
          Thread.sleep(processed.get() >= total ? 5 : 50);
        }
        if (seconds < 0) {
          System.err.printf(
              "peer: timed out after %d s: %d of %d records processed%n",
              o.timeoutS, processed.get(), total);
          code = 3;
        } else {
          long[] sum = countsSum(streams);
          System.err.printf(
              "peer: %d processed, %d folded, %d duplicates, %d undecodable, %d counters summing to"
                  + " %d, %.2f s (first record after %.2f s)%n",
              processed.get(), folded.get(), duplicates.get(), undecodable.get(), sum[0], sum[1], seconds,
              (firstRecordNanos.get() - start) / 1e9);
          if (sum[1] != o.expected) {
            System.err.printf("peer: error: counters sum to %d, expected %d%n", sum[1], o.expected);
            code = 1;
          } else {
            // cpu_us: CPU microseconds per event of this JVM (JIT and GC included; the broker's
            // CPU, which also writes the changelogs and transaction markers, is not counted).
            System.out.printf(
                "BENCH peer_kafka_streams fold_per_s=%.0f events=%d cpu_us=%.2f%n",
                total / seconds, total, cpuNanos / 1e3 / total);
            code = 0;
          }
        }
      } finally {
        if (!streams.close(Duration.ofSeconds(60))) {
          System.err.println("peer: Kafka Streams did not close within 60 s");
          if (code == 0) code = 1;
        }
      }
    } catch (Exception e) {
      System.err.println("peer: error: " + e);
      code = code == 3 ? 3 : 1;
    } finally {
      if (o.stateDir == null) deleteTree(stateDir);
    }
    System.out.flush();
    System.exit(code);
  }

  /** True once the group's committed offsets (EOS: committed with the transaction) reach the ends. */
  static boolean committed(Admin admin, String group, String topic, Map<Integer, Long> ends)
      throws Exception {
    Map<TopicPartition, OffsetAndMetadata> offsets =
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    for (Map.Entry<Integer, Long> e : ends.entrySet()) {
      if (e.getValue() == 0) continue;
      OffsetAndMetadata m = offsets.get(new TopicPartition(topic, e.getKey()));
      if (m == null || m.offset() < e.getValue()) return false;
    }
    return true;
  }

  /** {number of counters, sum of counters} over every local task, through interactive queries. */
  static long[] countsSum(KafkaStreams streams) {
    ReadOnlyKeyValueStore<String, Long> store =
        streams.store(StoreQueryParameters.fromNameAndType(COUNTS, QueryableStoreTypes.keyValueStore()));
    long n = 0, sum = 0;
    try (KeyValueIterator<String, Long> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<String, Long> kv = it.next();
        n++;
        sum += kv.value;
      }
    }
    return new long[] {n, sum};
  }

  static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.err.println("peer: could not remove " + dir + ": " + e);
    }
  }
}
