package io.maas.billing.rating;

/** How a price entry turns a request's tokens into charges; one {@link ChargeModel} class per value. */
public enum ChargeModelType {
    /** One input and one output rate for every token. */
    FLAT("flat"),
    /** The whole request is priced at the one tier its total size (prompt + completion) falls in. */
    PER_REQUEST_TIERED("per_request_tiered"),
    /** Each token is priced at the tier its position in the request falls in: prompt first, then completion. */
    GRADUATED_TIERED("graduated_tiered");

    private final String wireName;

    ChargeModelType(String wireName) {
        this.wireName = wireName;
    }

    /** The stable name stored in price books and admin requests; the enum constant's name may be refactored. */
    public String wireName() {
        return wireName;
    }

    /** The type for a stored or submitted name; an unknown name is refused, never mapped to a default. */
    public static ChargeModelType fromWire(String value) {
        for (ChargeModelType type : values()) {
            if (type.wireName.equals(value)) {
                return type;
            }
        }
        throw new UnknownChargeModelException(value);
    }
}
