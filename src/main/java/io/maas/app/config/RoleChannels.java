package io.maas.app.config;

import java.util.Locale;
import java.util.Map;

import io.smallrye.config.ConfigSourceInterceptor;
import io.smallrye.config.ConfigSourceInterceptorContext;
import io.smallrye.config.ConfigValue;

/**
 * Keeps the billing consumer out of instances that do not bill. Since Quarkus 3.30 a channel's {@code enabled} is
 * fixed at build time, and one image serves every role, so in roles {@code gateway} and {@code worker} the
 * {@code usage-in} channel is pointed at a topic pattern no topic matches, in a group of its own: such a pod never
 * joins {@code maas-billing}, takes no partitions and triggers no rebalance of the billing consumers when it scales
 * (docs/adr/0019-gateway-metadata-and-k8s-fleet.md).
 */
public class RoleChannels implements ConfigSourceInterceptor {
    static final String PREFIX = "mp.messaging.incoming.usage-in.";
    /** A pattern no topic name can match (topic names are [a-zA-Z0-9._-] only). */
    static final String NO_TOPIC = "^\\$never\\$$";

    @Override
    public ConfigValue getValue(ConfigSourceInterceptorContext context, String name) {
        if (!name.startsWith(PREFIX)) {
            return context.proceed(name);
        }
        String override = overrides(context).get(name.substring(PREFIX.length()));
        return override == null ? context.proceed(name)
                : ConfigValue.builder().withName(name).withValue(override).withConfigSourceName("maas.role").build();
    }

    private static Map<String, String> overrides(ConfigSourceInterceptorContext context) {
        ConfigValue role = context.proceed("maas.role");
        String r = role == null || role.getValue() == null ? "all" : role.getValue().trim().toLowerCase(Locale.ROOT);
        return overridesFor(r);
    }

    static Map<String, String> overridesFor(String role) {
        if (!role.equals("gateway") && !role.equals("worker")) {
            return Map.of();
        }
        return Map.of("topic", NO_TOPIC, "pattern", "true", "group.id", "maas-no-billing-" + role,
                "health-enabled", "false");
    }
}
