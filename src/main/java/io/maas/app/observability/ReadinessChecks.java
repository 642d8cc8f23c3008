package io.maas.app.observability;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import io.maas.app.config.MaasConfig;
import io.maas.gateway.inference.ModelRegistry;

/**
 * Readiness beyond what Quarkus checks itself (the datasource): the base models are loaded, and the Kafka cluster
 * answers. Not ready means "send no traffic here", never "restart me" (liveness stays up).
 */
public final class ReadinessChecks {
    private ReadinessChecks() {
    }

    /** Ready once at least one base model is loaded (they load at start, before traffic); billing needs none. */
    @Readiness
    @ApplicationScoped
    public static class Models implements HealthCheck {
        @Inject
        ModelRegistry models;
        @Inject
        MaasConfig config;

        @Override
        public HealthCheckResponse call() {
            var ids = models.modelIds();
            boolean required = config.role() != MaasConfig.Role.BILLING;
            return HealthCheckResponse.named("models").status(!required || !ids.isEmpty())
                    .withData("loaded", String.join(",", ids)).withData("role", config.role().name().toLowerCase())
                    .build();
        }
    }

    /** Ready while the Kafka cluster answers a describe-cluster call within the timeout (answer cached briefly). */
    @Readiness
    @ApplicationScoped
    public static class Kafka implements HealthCheck {
        @Inject
        KafkaProbe kafka;

        @Override
        public HealthCheckResponse call() {
            KafkaProbe.Answer<String> a = kafka.describeCluster();
            var b = HealthCheckResponse.named("kafka").status(a.value() != null);
            return a.value() != null ? b.withData("cluster", a.value()).build() : b.withData("error", a.error()).build();
        }
    }
}
