package io.maas.app.bootstrap;

import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.eclipse.microprofile.config.inject.ConfigProperty;

import io.maas.app.config.MaasConfig;
import io.maas.gateway.inference.ModelRegistry;
import io.quarkus.runtime.StartupEvent;

/** Tells the person who started the server where it is and what it serves, once everything is up. */
@ApplicationScoped
public class ReadyAnnouncement {
    @Inject
    MaasConfig config;
    @Inject
    ModelRegistry models;

    @ConfigProperty(name = "quarkus.http.port")
    int port;

    // After the models are loaded and the bootstrap key exists (default observers run at priority 2500).
    void onStart(@Observes @Priority(5000) StartupEvent event) {
        String key = config.bootstrapAdminKey().isPresent()
                ? "the value of MAAS_BOOTSTRAP_ADMIN_KEY"
                : "in " + config.dataDir().resolve(BootstrapAdmin.KEY_FILE);
        System.out.printf("%n  MaaS ready at http://localhost:%d  (models: %s; data: %s; admin key %s)%n%n", port,
                String.join(", ", models.modelIds()), config.dataDir(), key);
        System.out.flush();
    }
}
