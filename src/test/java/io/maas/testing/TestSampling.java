package io.maas.testing;

import java.util.List;

import jakarta.inject.Singleton;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingResult;

/**
 * The test application's trace sampler (a CDI {@link Sampler} replaces the configured one): trace-id ratio 1, as
 * {@code %test.quarkus.otel.traces.sampler.arg=1} says, so tests can follow every trace; a benchmark sets production's
 * ratio 0 for its run so it does not measure recording every span.
 */
@Singleton
public class TestSampling implements Sampler {
    private volatile Sampler delegate = Sampler.traceIdRatioBased(1.0);

    /** The share of traces recorded from now on (0..1), by trace id as the configured sampler does. */
    public void setRatio(double ratio) {
        delegate = Sampler.traceIdRatioBased(ratio);
    }

    @Override
    public SamplingResult shouldSample(Context parentContext, String traceId, String name, SpanKind spanKind,
            Attributes attributes, List<LinkData> parentLinks) {
        return delegate.shouldSample(parentContext, traceId, name, spanKind, attributes, parentLinks);
    }

    @Override
    public String getDescription() {
        return "TestSampling{" + delegate.getDescription() + "}";
    }
}
