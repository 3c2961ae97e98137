/**
 * The migrations create exactly what prisma/schema.prisma declares, plus the raw-SQL objects listed in
 * prisma/migrations/sql-only-objects.json, and nothing else. Needs no Prisma schema engine: the schema
 * is read through Prisma's own parser and the database through PostgreSQL's catalogs (schema-drift.ts).
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMigrations } from '../../src/db/migrate.js';
import {
  compareSchemaWithDatabase,
  createThrowawayDatabase,
  diffSchemaFacts,
  dropThrowawayDatabase,
  expectedFacts,
  formatSchemaDiff,
  getDmmfDatamodel,
  normaliseDefault,
  normaliseSqlType,
  type SchemaDifference,
} from './schema-drift.js';

let databaseName: string;
let client: pg.Client;

beforeAll(async () => {
  const database = await createThrowawayDatabase('drift');
  databaseName = database.name;
  await applyMigrations({ databaseUrl: database.url });
  client = new pg.Client({ connectionString: database.url });
  await client.connect();
});

afterAll(async () => {
  await client?.end();
  if (databaseName) await dropThrowawayDatabase(databaseName);
});

describe('the migrated database', () => {
  it('matches prisma/schema.prisma plus sql-only-objects.json, with nothing extra', async () => {
    const differences = await compareSchemaWithDatabase(client);
    // Compared as text so a failure prints the readable diff.
    expect(formatSchemaDiff(differences)).toBe('no drift');
  });
});

/**
 * Each case changes the migrated database inside a transaction (PostgreSQL DDL is transactional),
 * asserts the comparison reports exactly that change, and rolls back.
 */
async function differencesAfter(ddl: string): Promise<SchemaDifference[]> {
  await client.query('BEGIN');
  try {
    await client.query(ddl);
    return await compareSchemaWithDatabase(client);
  } finally {
    await client.query('ROLLBACK');
  }
}

describe('the comparison reports drift', () => {
  it('an added column', async () => {
    expect(await differencesAfter('ALTER TABLE pets ADD COLUMN x int')).toEqual([
      { kind: 'unexpected', key: 'column pets.x', actual: 'integer NULL' },
    ]);
  });

  it('a dropped index', async () => {
    expect(await differencesAfter('DROP INDEX idx_pets_species_status')).toEqual([
      { kind: 'missing', key: 'index pets.idx_pets_species_status', expected: '(species, status)' },
    ]);
  });

  it('a changed varchar length', async () => {
    expect(await differencesAfter('ALTER TABLE pets ALTER COLUMN name TYPE varchar(50)')).toEqual([
      {
        kind: 'changed',
        key: 'column pets.name',
        expected: 'varchar(100) NOT NULL',
        actual: 'varchar(50) NOT NULL',
      },
    ]);
  });

  it('a changed timestamp precision, nullability and default', async () => {
    const ddl = `ALTER TABLE outbox_events ALTER COLUMN created_at TYPE timestamptz(3),
                 ALTER COLUMN created_at DROP NOT NULL, ALTER COLUMN retry_count SET DEFAULT 1`;
    expect(await differencesAfter(ddl)).toEqual([
      {
        kind: 'changed',
        key: 'column outbox_events.created_at',
        expected: 'timestamptz(6) NOT NULL DEFAULT CURRENT_TIMESTAMP',
        actual: 'timestamptz(3) NULL DEFAULT CURRENT_TIMESTAMP',
      },
      {
        kind: 'changed',
        key: 'column outbox_events.retry_count',
        expected: 'integer NOT NULL DEFAULT 0',
        actual: 'integer NOT NULL DEFAULT 1',
      },
    ]);
  });

  it('an enum value added', async () => {
    expect(await differencesAfter(`ALTER TYPE pet_status ADD VALUE 'reserved'`)).toEqual([
      {
        kind: 'changed',
        key: 'enum pet_status',
        expected: '(available, pending, sold)',
        actual: '(available, pending, sold, reserved)',
      },
    ]);
  });

  it("a foreign key's referential action", async () => {
    const ddl = `ALTER TABLE orders DROP CONSTRAINT orders_pet_id_fkey,
                 ADD CONSTRAINT orders_pet_id_fkey FOREIGN KEY (pet_id) REFERENCES pets(id) ON DELETE CASCADE`;
    expect(await differencesAfter(ddl)).toEqual([
      {
        kind: 'changed',
        key: 'foreign key orders.orders_pet_id_fkey',
        expected: '(pet_id) REFERENCES pets(id) ON DELETE RESTRICT ON UPDATE CASCADE',
        actual: '(pet_id) REFERENCES pets(id) ON DELETE CASCADE ON UPDATE NO ACTION',
      },
    ]);
  });

  it('a unique index that became a plain one', async () => {
    const ddl = 'DROP INDEX users_email_key; CREATE INDEX users_email_key ON users(email)';
    expect(await differencesAfter(ddl)).toEqual([
      { kind: 'changed', key: 'index users.users_email_key', expected: 'UNIQUE (email)', actual: '(email)' },
    ]);
  });

  it('a raw-SQL object from sql-only-objects.json gone missing', async () => {
    expect(await differencesAfter('DROP SEQUENCE outbox_events_published_seq')).toEqual([
      { kind: 'missing', key: 'sequence outbox_events_published_seq' },
    ]);
  });

  it('an object nobody declared', async () => {
    const ddl = `CREATE TABLE scratch (id int PRIMARY KEY); CREATE VIEW cheap_pets AS SELECT * FROM pets`;
    expect((await differencesAfter(ddl)).map((d) => `${d.kind} ${d.key}`)).toEqual([
      'unexpected column scratch.id',
      'unexpected primary key scratch',
      'unexpected table scratch',
      'unexpected view cheap_pets',
    ]);
  });
});

describe('expected facts from a Prisma schema', () => {
  const schema = `
    datasource db {
      provider = "postgresql"
    }
    enum Mood {
      happy
      grumpy @map("GRUMPY")
      @@map("mood")
    }
    model Owner {
      id      Int      @id @default(autoincrement())
      email   String   @unique
      mood    Mood     @default(happy)
      joined  DateTime @default(now())
      edited  DateTime @updatedAt
      score   Decimal
      dogs    Dog[]
    }
    model Dog {
      id      String  @id @default(uuid()) @db.Uuid
      ownerId Int?
      owner   Owner?  @relation(fields: [ownerId], references: [id])
      name    String  @db.VarChar(30)
      @@unique([ownerId, name])
      @@index([name(sort: Desc)])
      @@map("dogs")
    }`;

  it("uses Prisma's default types, defaults and constraint names", () => {
    const facts = expectedFacts(getDmmfDatamodel(schema), []);
    expect(Object.fromEntries(facts)).toEqual({
      'enum mood': '(happy, GRUMPY)',
      'table Owner': '',
      'column Owner.id': "integer NOT NULL DEFAULT nextval('Owner_id_seq')",
      'sequence Owner_id_seq': 'OWNED BY Owner.id',
      'column Owner.email': 'text NOT NULL',
      'column Owner.mood': "mood NOT NULL DEFAULT 'happy'",
      'column Owner.joined': 'timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP',
      'column Owner.edited': 'timestamp(3) NOT NULL',
      'column Owner.score': 'numeric(65,30) NOT NULL',
      'table dogs': '',
      'column dogs.id': 'uuid NOT NULL',
      'column dogs.ownerId': 'integer NULL',
      'column dogs.name': 'varchar(30) NOT NULL',
      'foreign key dogs.dogs_ownerId_fkey':
        '(ownerId) REFERENCES Owner(id) ON DELETE SET NULL ON UPDATE CASCADE',
      'primary key Owner': 'Owner_pkey (id)',
      'index Owner.Owner_email_key': 'UNIQUE (email)',
      'primary key dogs': 'dogs_pkey (id)',
      'index dogs.dogs_ownerId_name_key': 'UNIQUE (ownerId, name)',
      'index dogs.dogs_name_idx': '(name DESC)',
    });
  });

  it('reports an invalid schema with Prisma’s own message', () => {
    expect(() => getDmmfDatamodel('model Broken { id Int }')).toThrow(/Prisma schema is invalid/);
  });
});

describe('normalisation of what PostgreSQL reports', () => {
  it('shortens format_type() spellings to Prisma’s', () => {
    expect(normaliseSqlType('character varying(100)')).toBe('varchar(100)');
    expect(normaliseSqlType('timestamp(3) with time zone')).toBe('timestamptz(3)');
    expect(normaliseSqlType('timestamp without time zone')).toBe('timestamp');
    expect(normaliseSqlType('numeric(12,2)')).toBe('numeric(12,2)');
    expect(normaliseSqlType('"Mood"[]')).toBe('Mood[]');
  });

  it('strips casts from defaults', () => {
    expect(normaliseDefault("'available'::pet_status")).toBe("'available'");
    expect(normaliseDefault("'-1'::integer")).toBe('-1');
    expect(normaliseDefault("nextval('pets_id_seq'::regclass)")).toBe("nextval('pets_id_seq')");
    expect(normaliseDefault("'x'::character varying")).toBe("'x'");
  });

  it('diffs by key: missing, unexpected, changed; null accepts any description', () => {
    const expected = new Map<string, string | null>([
      ['table a', ''],
      ['index a.raw', null],
      ['column a.x', 'integer NULL'],
    ]);
    const actual = new Map([
      ['index a.raw', '(x) WHERE x > 0'],
      ['column a.x', 'bigint NULL'],
      ['table b', ''],
    ]);
    expect(diffSchemaFacts(expected, actual)).toEqual([
      { kind: 'changed', key: 'column a.x', expected: 'integer NULL', actual: 'bigint NULL' },
      { kind: 'missing', key: 'table a', expected: '' },
      { kind: 'unexpected', key: 'table b', actual: '' },
    ]);
  });
});
