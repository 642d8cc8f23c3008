package io.maas.testing;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.List;
import java.util.function.Predicate;

import jakarta.inject.Singleton;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;

/**
 * The test application's span exporter (a CDI {@link SpanExporter} replaces the OTLP one): keeps the last
 * {@value #CAPACITY} ended spans in memory so tests can follow a trace across hops. Tests sample every trace
 * ({@code %test.quarkus.otel.traces.sampler.arg=1}).
 */
@Singleton
public class RecordingSpanExporter implements SpanExporter {
    static final int CAPACITY = 20_000;

    private final Deque<SpanData> spans = new ArrayDeque<>();

    @Override
    public synchronized CompletableResultCode export(Collection<SpanData> batch) {
        for (SpanData span : batch) {
            if (spans.size() == CAPACITY) {
                spans.removeFirst();
            }
            spans.addLast(span);
        }
        return CompletableResultCode.ofSuccess();
    }

    /** The recorded spans matching {@code filter}, oldest first. */
    public synchronized List<SpanData> find(Predicate<SpanData> filter) {
        List<SpanData> out = new ArrayList<>();
        for (SpanData span : spans) {
            if (filter.test(span)) {
                out.add(span);
            }
        }
        return out;
    }

    @Override
    public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
    }
}
