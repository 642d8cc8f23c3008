package io.maas.billing.rating;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

/**
 * One request rated against a reservation: the tokens that fit the remaining allowance are included (no
 * charge beyond the fee), the rest are overage at the reservation's rate, and the included ones are the draw.
 */
public record ReservationCharge(List<TokenCharge> charges, AllowanceDraw draw) {

    public ReservationCharge {
        charges = List.copyOf(Check.notNull(charges, "charges"));
        Check.notNull(draw, "draw");
    }

    public static ReservationCharge against(ReservationState state, long tokensTotal) {
        Check.notNegative(tokensTotal, "tokensTotal");
        Reservation reservation = state.reservation();
        long included = Math.min(tokensTotal, state.allowanceRemainingTokens());
        long overage = tokensTotal - included;
        List<TokenCharge> charges = new ArrayList<>(2);
        if (included > 0) {
            charges.add(new TokenCharge(ChargeKind.RESERVATION_INCLUDED, 0, included, BigDecimal.ZERO));
        }
        if (overage > 0) {
            charges.add(new TokenCharge(ChargeKind.RESERVATION_OVERAGE, 0, overage, reservation.overageMicrosPerToken()));
        }
        return new ReservationCharge(charges, new AllowanceDraw(reservation.id(), state.period(), included));
    }
}
