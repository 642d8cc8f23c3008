package io.maas.app.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.Map;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;

/** Roles that do not bill get a usage channel that subscribes to nothing, outside the billing group. */
class RoleChannelsTest {
    private static final Map<String, String> APP = Map.of(
            "mp.messaging.incoming.usage-in.topic", "maas.usage.v1",
            "mp.messaging.incoming.usage-in.group.id", "maas-billing",
            "mp.messaging.incoming.usage-in.max.poll.records", "2000");

    private static SmallRyeConfig config(String role) {
        var props = new java.util.HashMap<>(APP);
        if (role != null) {
            props.put("maas.role", role);
        }
        return new SmallRyeConfigBuilder().withInterceptors(new RoleChannels())
                .withSources(new PropertiesConfigSource(props, "test", 100)).build();
    }

    @Test
    void gatewaysAndWorkersSubscribeToNoTopicInAGroupOfTheirOwn() {
        for (String role : new String[] {"gateway", "WORKER"}) {
            SmallRyeConfig c = config(role);
            String topic = c.getValue("mp.messaging.incoming.usage-in.topic", String.class);
            assertEquals(Boolean.TRUE, c.getValue("mp.messaging.incoming.usage-in.pattern", Boolean.class));
            assertFalse(Pattern.compile(topic).matcher("maas.usage.v1").find(), topic);
            assertFalse(Pattern.compile(topic).matcher("maas.usage.v1.dlq").find(), topic);
            assertEquals("maas-no-billing-" + role.toLowerCase(),
                    c.getValue("mp.messaging.incoming.usage-in.group.id", String.class));
            assertEquals(Boolean.FALSE, c.getValue("mp.messaging.incoming.usage-in.health-enabled", Boolean.class));
            // Settings the role does not concern pass through.
            assertEquals(2000, c.getValue("mp.messaging.incoming.usage-in.max.poll.records", Integer.class));
        }
    }

    @Test
    void billingAndTheEmbeddedDefaultConsumeTheUsageTopic() {
        for (String role : new String[] {"billing", "all", null}) {
            SmallRyeConfig c = config(role);
            assertEquals("maas.usage.v1", c.getValue("mp.messaging.incoming.usage-in.topic", String.class));
            assertEquals("maas-billing", c.getValue("mp.messaging.incoming.usage-in.group.id", String.class));
            assertFalse(c.getOptionalValue("mp.messaging.incoming.usage-in.pattern", Boolean.class).orElse(false));
        }
    }
}
