package io.maas.app.launch;

import java.io.IOException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.maas.app.embedded.EmbeddedInfrastructure;
import io.quarkus.runtime.Application;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;

/**
 * Entry point: validates the launch settings, starts the embedded services that are not configured
 * externally, hands their addresses to Quarkus, and stops them only after the application has stopped,
 * so nothing the application acknowledged is cut off.
 */
@QuarkusMain
public final class Main {
    private static final long APP_STOP_WAIT_S = 60;

    private Main() {
    }

    public static void main(String... args) {
        LaunchSettings settings;
        try {
            settings = LaunchSettings.resolve(System.getenv(), System.getProperties());
        } catch (ConfigurationException e) {
            System.err.println("maas: configuration error: " + e.getMessage());
            System.exit(2);
            return;
        }
        EmbeddedInfrastructure infrastructure;
        try {
            infrastructure = EmbeddedInfrastructure.start(settings);
        } catch (IOException | RuntimeException e) {
            System.err.println("maas: embedded services failed to start: " + e.getMessage());
            e.printStackTrace();
            System.exit(3);
            return;
        }
        infrastructure.properties().forEach(System::setProperty);
        // DJL must never try to download anything or report home.
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
        // Before anything loads PyTorch's native library (OpenMP reads its settings once, then): docs/adr/0016.
        io.maas.inference.engine.LlamaEngine.applyNativeDefaults();

        CountDownLatch appReturned = new CountDownLatch(1);
        // On Ctrl-C the JVM runs its shutdown hooks at once; this one waits for Quarkus to finish stopping
        // (HTTP drained, producers flushed, consumers committed) before the database and broker go away.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            Application app = Application.currentApplication();
            if (app != null) {
                Thread waiter = new Thread(app::awaitShutdown, "maas-await-app-stop");
                waiter.setDaemon(true);
                waiter.start();
                try {
                    waiter.join(TimeUnit.SECONDS.toMillis(APP_STOP_WAIT_S));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            } else {
                try {
                    appReturned.await(APP_STOP_WAIT_S, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            infrastructure.close();
        }, "maas-embedded-shutdown"));

        Quarkus.run(null, (exitCode, failure) -> {
            appReturned.countDown();
            infrastructure.close();
            System.exit(exitCode);
        }, args);
    }
}
