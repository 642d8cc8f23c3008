package io.maas.billing.metering;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** How a metered request ended; cancelled and failed requests are metered too. */
public enum UsageStatus {
    COMPLETED("completed"),
    CANCELLED("cancelled"),
    FAILED("failed");

    private final String wireName;

    UsageStatus(String wireName) {
        this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
        return wireName;
    }

    @JsonCreator
    public static UsageStatus fromWire(String value) {
        for (UsageStatus status : values()) {
            if (status.wireName.equals(value)) {
                return status;
            }
        }
        throw new InvalidUsageEventException("unknown status " + value);
    }
}
