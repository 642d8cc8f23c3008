package io.maas.app.observability;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

import io.maas.app.config.MaasConfig;
import io.maas.gateway.inference.ModelRegistry;
import io.maas.gateway.routing.WorkerFleet;

/**
 * Readiness beyond what Quarkus checks itself (the datasource): the base models are loaded, and the Kafka cluster
 * answers. Not ready means "send no traffic here", never "restart me" (liveness stays up).
 */
public final class ReadinessChecks {
    private ReadinessChecks() {
    }

    /**
     * Ready once at least one base model is loaded (they load at start, before traffic). Billing needs none, and a
     * gateway generates nothing itself (its models are metadata, read at start): it waits for workers instead.
     */
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
            boolean required = config.role() == MaasConfig.Role.ALL || config.role() == MaasConfig.Role.WORKER;
            return HealthCheckResponse.named("models").status(!required || !ids.isEmpty())
                    .withData("loaded", String.join(",", ids)).withData("role", config.role().name().toLowerCase())
                    .build();
        }
    }

    /**
     * Role gateway only: ready while at least one worker answered its last status poll, since without one every
     * generation is a 503. Other roles (all generates in process) report up with their role.
     */
    @Readiness
    @ApplicationScoped
    public static class Workers implements HealthCheck {
        @Inject
        WorkerFleet fleet;
        @Inject
        MaasConfig config;

        @Override
        public HealthCheckResponse call() {
            var b = HealthCheckResponse.named("workers").withData("role", config.role().name().toLowerCase());
            if (config.role() != MaasConfig.Role.GATEWAY) {
                return b.up().build();
            }
            var live = fleet.liveWorkers();
            return b.status(!live.isEmpty()).withData("live", String.join(",", live)).build();
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
