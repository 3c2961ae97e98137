/**
 * Where the service, the scripts and the tests look when nothing is configured: PostgreSQL and Kafka
 * on this machine (docker-compose.yml's ports). 127.0.0.1, never "localhost": Node may try ::1 first,
 * and both listen on IPv4.
 */
export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/petstore';

/** The same server's maintenance database, from which tests and the benchmark create throwaway ones. */
export const DEFAULT_MAINTENANCE_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';

export const DEFAULT_KAFKA_BROKER = '127.0.0.1:9092';
