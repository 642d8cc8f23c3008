package io.maas.gateway.auth;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.jboss.logging.Logger;

import io.maas.app.config.MaasConfig;

/**
 * Bounds failed authentication per source IP ({@code maas.auth.failure-limit} per
 * {@code maas.auth.failure-window}): beyond it every authenticated request from that source gets 429 with
 * Retry-After until the window ends. The source is the peer address, or the X-Forwarded-For client when
 * {@code quarkus.http.proxy.proxy-address-forwarding} is enabled behind a trusted proxy.
 */
@ApplicationScoped
public class AuthFailureLimiter {
    private static final Logger LOG = Logger.getLogger(AuthFailureLimiter.class);

    @Inject
    MaasConfig config;

    private FailureWindows windows;

    @PostConstruct
    void init() {
        windows = new FailureWindows(config.auth().failureLimit(), config.auth().failureWindow(),
                config.auth().failureSourcesMax(), System::nanoTime);
    }

    /** 0 if this source may authenticate now, else the seconds to wait. */
    public long retryAfterSeconds(String source) {
        return source == null ? 0 : windows.retryAfterSeconds(source);
    }

    public void recordFailure(String source) {
        if (source == null) {
            return;
        }
        windows.recordFailure(source);
        if (windows.retryAfterSeconds(source) > 0) {
            LOG.debugf("source %s reached the failed-authentication limit", source);
        }
    }
}
