package io.maas.billing;

import java.sql.Connection;
import java.sql.SQLException;

import javax.sql.DataSource;

/** Runs JDBC work on a connection of the current (JTA) transaction, turning SQL errors into billing errors. */
public final class Jdbc {
    private Jdbc() {
    }

    /** Work on a connection. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    public static <T> T inTransaction(DataSource dataSource, Work<T> work) {
        try (Connection c = dataSource.getConnection()) {
            return work.run(c);
        } catch (SQLException e) {
            if ("23505".equals(e.getSQLState())) {
                throw new BillingException(BillingException.Kind.CONFLICT, "already exists: " + e.getMessage(), null);
            }
            if (e.getSQLState() != null && (e.getSQLState().startsWith("22") || e.getSQLState().startsWith("23"))) {
                throw new BillingException(BillingException.Kind.INVALID, "refused by the database: " + e.getMessage(), null);
            }
            throw new IllegalStateException("billing database error: " + e.getMessage(), e);
        }
    }
}
