/**
 * Every limit of the switch, named once, with the reason for its value.
 * Units come last in the name (TigerBeetle style): `...Bytes`, `...Ms`, `...Count`.
 * Change a limit here and nowhere else; docs/scheme-rules.md quotes these values.
 */
export const limits = {
  /** Furthest a scheme may let a batch payment be dated ahead (config futureDatedHorizonBusinessDays):
   * about three months of business days. Each warehoused payment waits in the database for its date;
   * a longer horizon only lets a participant store obligations nobody can net yet, and interbank
   * settlement dates further out are not a clearing matter (docs/scheme-rules.md, "Future-dated payments"). */
  futureDatedHorizonBusinessDaysMax: 60,
  /** Largest inbound file. 100,000 pacs.008 transactions are about 100 MB; 256 MiB leaves room for
   * verbose remittance data while keeping a single file well inside the 512 MB memory budget, since
   * validation streams the file in windows and never holds more than the raw bytes plus one window. */
  fileSizeBytesMax: 256 * 1024 * 1024,
  /** Deepest element nesting accepted. The deepest path in the supported ISO messages is about 14
   * levels (camt.053 entry details); 64 allows any wrapper and leaves no room for depth bombs. */
  nestingDepthMax: 64,
  /** Transactions in one message. The scheme XSDs restrict NbOfTxs to at most six digits; bulk files of
   * 100,000 transactions must pass, so the bound sits above that with margin. */
  transactionsPerMessageMax: 999_999,
  /** Attributes on one element: ISO messages carry at most two (Ccy, xmlns). Caps attribute floods. */
  attributesPerElementMax: 16,
  /** Length of one element or attribute name; ISO tags are short (the longest is under 40). */
  nameLengthMax: 128,
  /** Distinct element names the fact walk keeps as strings for one message (validation/facts.ts
   * LocalNames): a message module has a few hundred at most; names past this are made each time met. */
  factWalkNamesRememberedMax: 1_024,
  /** Transactions the fact walk reads between two turns of the event loop (validation/facts.ts
   * extractFactsInTurns): 1,000 pacs.008 transactions are about 10 ms of the main thread. */
  factWalkTransactionsPerTurn: 1_000,
  /** Transactions per XSD validation window. Each window is validated as its own document (group
   * header + window + trailer); 2,000 pacs.008 transactions are about 2 MB, so the WebAssembly heap
   * of one window stays near 30 MB while the per-call cost is amortised. */
  xsdWindowTransactionCount: 2_000,
  /** Largest XSD job of a large file's windows (validation/pipeline.ts validateWindows; in practice one
   * window of 2,000 pacs.008 transactions, about 2.2 MB: a job holds at least one window). Each worker's
   * WebAssembly memory keeps the largest size a job needed, so the job size bounds it: 4 MB jobs of a
   * file refused in every transaction (libxml2 keeps every error) peaked at 513–523 MiB for a 100 MB file
   * on a busy machine, 2 MB jobs at about 470 MiB (validationMemoryBytesMax is 512 MiB), for the same
   * throughput (schema compiled once per job: 20,000 transactions validated in 550 ms either way). */
  xsdJobBytesMax: 2 * 1024 * 1024,
  /** A file's XSD jobs in flight per worker: the one it runs and the next, waiting in the worker. With
   * one, a worker that finished a job sat idle until the main thread took the answer and sent the next
   * job, and the main thread is often busy for 100 ms and more at a time (another file's fact walk, its
   * rows and statements): 2 MB more per worker in flight (docs/decisions.md, decision 103). */
  xsdJobsPerWorker: 2,
  /** Small messages queued for one batched XSD call. One call parses the schema once for the batch. */
  xsdBatchMessageCountMax: 256,
  /** Shortest time between two XSD jobs of single messages of one schema (xsd-pool.ts). Since a lane's
   * worker keeps one xmllint run across jobs (xsd-worker.cjs), a job no longer pays the 5–6 ms of a
   * fresh instance and schema compilation, only passing the messages between threads and waking the
   * worker; under load a job still starts at most once per window with everything that arrived
   * meanwhile; after a quiet spell, or when the previous job held a single message (a lone sender
   * waiting for each answer), a message goes at once. Adds at most this much to a message's latency
   * (twice for a real-time payment: its head, then its message), against a p99 budget of 250 ms. */
  xsdBatchWindowMs: 20,
  /** Worker threads running XSD validation: one per core of the reference machine (2). Windows of a
   * large file are spread over them while the main thread scans and extracts facts. */
  xsdWorkerCount: 2,
  /** Largest single document validated on its schema's lane (a long xmllint run shared with other
   * messages, see xsd-worker.cjs); larger ones (a whole file in one window) get a job of their own,
   * so a lane's WebAssembly memory stays at the size of small messages. */
  xsdLaneMessageBytesMax: 256 * 1024,
  /** Largest wrapper document a lane's job validates its messages in first (xsd-pool.ts
   * validateOnLane): about 300 single-transaction pacs.008, so the lane's WebAssembly memory stays
   * near its 16 MiB start; a job with more is validated in several. */
  xsdLaneWrapperBytesMax: 1024 * 1024,
  /** WebAssembly memory ceiling per XSD call, in 64 KiB pages (512 MiB): a window plus the schema
   * never comes near it; it only stops a pathological input from taking the machine. */
  xsdMemoryPagesMax: 8192,
  /** Findings kept per file. A 100,000-transaction file that is wrong everywhere would otherwise
   * produce a report larger than the file; past this count the report says how many were dropped. */
  findingsPerFileMax: 10_000,
  /** Peak resident memory of validating one file, refused or accepted (the process's maxRSS, with the
   * file's own bytes): 100,000 pacs.008 transactions (about 100 MB) peak near 400 MB, since a window at
   * a time is validated, findings are kept up to findingsPerFileMax and counted beyond, and error
   * locations come from one pass over the file. A test validates a 100 MB refused file in a child
   * process and holds it under this (docs/performance.md). */
  validationMemoryBytesMax: 512 * 1024 * 1024,
  /** Bytes of refused inbound files stored in full per sender and business day. A refused file is kept
   * whole (for the operator and the sender's questions) while the sender's refused bytes of the day
   * stay within this; past it only its SHA-256, size, first refusedFilePrefixBytes bytes and the answer
   * are kept, so a participant sending garbage cannot fill the database: one maximum-size file a day,
   * or thousands of ordinary ones. */
  refusedBytesStoredPerSenderPerDayMax: 256 * 1024 * 1024,
  /** Bytes kept of a refused file past that quota: its prolog, header and first transactions, enough
   * to see what was sent. */
  refusedFilePrefixBytes: 64 * 1024,
  /** Inbound files at least this large are looked up as replays (same sender, same SHA-256) before
   * they are validated, so that a resent bulk file does not cost its validation again. Smaller ones,
   * single real-time messages above all, skip that round trip: a replay is still caught when it is
   * stored (unique index messages_inbound_once) and answered as one; it only costs a validation. */
  replayCheckBeforeValidationBytesMin: 64 * 1024,
  /** work_mem of the transaction that stores an inbound file of more than 2 MiB on PostgreSQL (intake.ts
   * storeInbound): the file's bytes plus 2 MiB, up to this. The journal's statement trigger on messages
   * keeps the inserted row, bytes included, in its transition table, which spilled an 11 MB bulk file
   * to a temporary file at the default 4 MB (about 10 ms of PostgreSQL per file, docs/performance.md
   * "s13-intake"). Larger files spill as before: a backend holds at most this much more per file. */
  inboundStoreWorkMemBytesMax: 32 * 1024 * 1024,

  // Real-time intake (switch/engine/realtime-intake.ts).
  /** Real-time messages committed in one database transaction at most. Concurrent submissions join
   * the group being gathered while the previous one commits; at 2,000 payments/s a group commits in
   * well under 100 ms, so groups stay far below this bound, which only caps the statement parameters
   * and the work lost to one failed group (its members are then retried one by one). */
  realtimeIntakeGroupMax: 256,
  /** Groups being committed at once. A group holds its debtors' exposure rows locked from its
   * decisions to its commit; a second group stores its messages, keys and outcomes meanwhile and
   * then waits for those locks, so the two overlap without ever deciding on the same headroom at once. */
  realtimeIntakeGroupsInFlight: 2,
  /** Runs of one retryable transaction (store/database.ts) aborted as a deadlock victim or for a
   * serialization failure: both are transient, and a third consecutive loss means something else is
   * wrong, so the error then goes to the caller. */
  transactionAttemptsMax: 3,
  /** A cycle still between cut-off and settlement instructions this long after its cut-off had a step
   * fail (the process that cut it off carries it on at once, in seconds even for 200,000 payments):
   * serve then carries it on. Long enough never to wait on a netting that is merely running. */
  cycleResumeAfterMs: 60_000,

  /** How long the settlement agent may take to answer a cycle's pacs.009s before serve raises an alert
   * (logged, shown by `cycle status`) and the operator may re-query them (pacs.028); the scheme
   * configuration's settlementAgent.answerTimeoutSeconds overrides it, within the bounds below. */
  settlementAnswerTimeoutSecondsDefault: 900,
  settlementAnswerTimeoutSecondsMin: 10,
  settlementAnswerTimeoutSecondsMax: 86_400,

  /** Participants in one scheme configuration. The amount ceilings below are per participant, so
   * this bound is what makes them bound a whole cycle. */
  participantsMax: 10_000,

  // Amounts (docs/scheme-rules.md, "Amount ceilings"). Every sum the switch computes — a message's
  // total, a position, a bilateral gross, a bulk file's total, a settlement instruction, a cycle's
  // gross — is bounded by `cycleGrossMinorMax`, so it always fits PostgreSQL's bigint and the 18
  // digits of an ISO amount. The ceilings are technical, in minor units of any currency (JPY 0, EUR 2
  // and BHD 3 decimals alike), far above the business maxima a scheme configures (perPaymentMaximum,
  // netDebitCap); they hold whether or not a currency has a configured maximum.
  amounts: {
    /** Largest single payment: 10^13 minor units (100 billion EUR, 10 trillion JPY, 10 billion BHD).
     * SCT's largest payment is 999,999,999.99 EUR; RTGS-sized payments do not belong in a netting
     * scheme. Above it: AM13. */
    paymentMinorMax: 10n ** 13n,
    /** Sum of one message's transactions. Every transaction of a message debits its sender in one cycle,
     * so a message larger than the sender's cycle ceiling could never be taken whole. Above it: AM02. */
    messageMinorMax: 4n * 10n ** 13n,
    /** A participant's batch debits (its batch payments and returns) accepted into one cycle, in one
     * currency. Counted at intake (cycle_debits), never given back within the cycle, so the cycle's
     * batch gross is at most participantsMax times this. Above it: the message is refused, AM13. */
    participantCycleBatchDebitsMinorMax: 4n * 10n ** 13n,
    /** A participant's real-time debits not yet settled (reserved and committed), in one currency: part
     * of its headroom (exposures.debits_minor), so the real-time gross of any cycle, every real-time
     * net position and every reservation are bounded by participantsMax times this. Beyond it a
     * real-time payment is refused (AM04) or queued, like any payment over headroom. */
    participantRealtimeDebitsMinorMax: 4n * 10n ** 13n,
    /** What the two participant ceilings give a cycle at most, per currency: participantsMax × (batch +
     * real-time) = 8 × 10^17 ≤ 10^18 − 1, the largest amount an ISO amount's 18 digits can carry in
     * minor units, and a ninth of 2^63 − 1, PostgreSQL's bigint. Checked when this module loads. */
    cycleGrossMinorMax: 10n ** 18n - 1n,
  },

  // Signatures and the scheme PKI (connectors/signing/, docs/signing.md).
  /** Smallest RSA key the scheme issues or accepts: 2048 bits (NIST SP 800-57 part 1, acceptable
   * through 2030); a smaller signer key is refused as an unsupported signature format (DS0B). */
  signingKeyBitsMin: 2048,
  /** Longest validity of a participant signing certificate: FedNow participant keys expire within
   * 364 days, so every bank rotates at least once a year. The scheme CA itself is not bound by this. */
  signingCertificateValidDaysMax: 364,
  /** Largest detached signature file (.p7s). One SignedData with one signer and its certificate is
   * about 2 KB; 64 KiB leaves room for a short chain and refuses junk before it is parsed (DS0B). */
  signatureFileBytesMax: 64 * 1024,
  /** Days from a CRL's thisUpdate to its nextUpdate when `pki revoke` writes it: the scheme republishes
   * weekly at the latest, and at once on every revocation. */
  crlNextUpdateDays: 7,
  /** How often a running `serve` reads its trust material again (CA certificates, CRLs, its own key
   * and certificate; connectors/signing/reload.ts). This bounds how long a revoked certificate keeps
   * signing accepted files after the new CRL is in place: at most this plus one poll pass. Reading
   * a few kilobytes every 5 s costs nothing; a scheme publishes a revocation "at once", and 5 s is
   * well inside what any scheme means by that. */
  trustMaterialReloadMs: 5_000,

  // The database connection of a long-running serve (switch/cli/serve-loop.ts, docs/operations.md).
  /** First wait after a pass failed because the database was unreachable; doubled after each failed
   * pass up to the maximum. Nothing is acknowledged while it is down, so waiting loses nothing. */
  databaseReconnectDelayMs: 500,
  /** Longest wait between two attempts: an outage of hours costs one log line and one attempt per
   * 30 s, and service resumes within 30 s of the database coming back. serve never gives up: an exit
   * would only hand the same wait to the process supervisor. */
  databaseReconnectDelayMsMax: 30_000,
  /** Opening a new connection to PostgreSQL (pg connectionTimeoutMillis): a server that does not
   * answer (network partition, dropped SYNs) fails the attempt instead of hanging the pass. */
  databaseConnectTimeoutMs: 10_000,

  // The clock (switch/clock.ts, docs/operations.md "Running at another date and time").
  /** Fastest a simulated clock (CLEARHOUSE_CLOCK …*SPEED) may run: 1,000× turns a business day into
   * under a minute and a half. Faster, a cut-off timer of one simulated second would be shorter than
   * a millisecond, below what Node's timers resolve. */
  clockSpeedMax: 1_000,

  // The HTTP API (switch/api/, docs/api.md).
  api: {
    /** Failed logins (wrong password or TOTP code) in a row before a person is locked out: NIST SP 800-63B
     * allows up to 100; 5 keeps online guessing of a 6-digit code hopeless (5 tries per lock period). */
    loginFailuresMax: 5,
    /** How long a lock lasts; a supervisor may not unlock early (no route for it yet). */
    loginLockoutMs: 15 * 60_000,
    /** A session's life from login: short, so a stolen token soon expires; an operator's shift logs in again. */
    sessionTtlMs: 30 * 60_000,
    /** TOTP time steps accepted either side of now (RFC 6238 section 5.2: one step of clock drift). */
    totpDriftSteps: 1,
    /** Largest XML body of POST /messages. Real-time messages are a few kilobytes and the API is not the
     * bulk-file channel (SFTP is): 16 MiB holds a batch of several thousand transactions. */
    submitBytesMax: 16 * 1024 * 1024,
    /** Largest risk reference-data upload (POST /risk/profiles/{bic}, POST /risk/lists/{name}), streamed:
     * 1 million account profiles are about 100 MB of CSV (docs/risk.md "Reference data"), OFAC's SDN list
     * some 5 MB, the UN's consolidated list a few MB; 512 MiB leaves room for a million-name list while
     * bounding what one request can make the engine read in one transaction. */
    uploadBytesMax: 512 * 1024 * 1024,
    /** Largest JSON body (logins, filters, cap changes are a few hundred bytes). */
    jsonBytesMax: 64 * 1024,
    /** Payments per page of a search. */
    pageSizeMax: 500,
    /** Requests per client address per minute, every route together, counted before identification (so
     * floods without credentials are cut too): 1,000 a second, the scheme's real-time peak, so that a bank
     * submitting real-time payments from one gateway address is bounded by its principal limit below, not
     * by this; far above a console's polling; low enough that one address cannot flood the engine. */
    requestsPerMinuteMax: 60_000,
    /** Requests per authenticated principal (a participant's certificate, a person's session) per minute,
     * every route together, wherever they come from: a participant's real-time traffic through the API
     * peaks near the scheme's 1,000 payments/s shared by all participants, so one may send a few hundred a
     * second; a person's console needs a few a second. Counted apart from the address limit above. */
    principalRequestsPerMinuteMax: 30_000,
    /** How often GET /events sends a `positions` snapshot: a dashboard's headroom is at most this old (one
     * store read per interval serves every open stream). */
    eventsPositionsMs: 5_000,
    /** Comment lines on an idle event stream: below the 30-60 s idle timeouts of common proxies and balancers. */
    eventsHeartbeatMs: 15_000,
    /** Event streams one principal may hold open at once: a console in a few tabs; more is a leak or a flood. */
    eventStreamsPerPrincipalMax: 4,
    /** Bytes an event stream may have waiting for a slow reader before it is closed (the reader reconnects):
     * about a minute of positions snapshots of a hundred participants. */
    eventStreamBufferBytesMax: 1024 * 1024,
    /** Largest held payment (minor units, in its currency; the scheme's currencies have two decimals) an
     * operator releases alone through POST /risk/holds/:id/release; above it the release is a pending
     * action a supervisor other than the maker approves (docs/api.md "Maker-checker"): 10,000.00, where
     * a released sanctions or fraud hold is a reportable loss, and above the scheme's real-time
     * per-payment amounts, whose holds must be decided within seconds. */
    releaseWithoutCheckerMaxMinor: 1_000_000n,
    /** PDF reports rendered at once through GET /reports/* (each prints with its own Chromium, a few
     * hundred MB and a core for a second or two): on the 2-core machine two keep the switch answering;
     * a third request is told to retry (503). */
    reportPdfConcurrentMax: 2,
  },

  // SFTP mailboxes (connectors/sftp.ts, docs/connectors.md).
  sftp: {
    /** SSH handshake and authentication (ssh2 readyTimeout): a loopback or LAN server answers in
     * milliseconds, a WAN link within a second or two; 20 s covers a slow link without hiding an outage. */
    readyTimeoutMs: 20_000,
    /** One SFTP operation (list, download, upload of one file, stat, rename). Generous, because a bulk
     * file of 100 MB at 10 MB/s takes 10 s; past this the connection is dropped and the step retried. */
    operationTimeoutMs: 120_000,
    /** SSH keepalive probe interval and how many may go unanswered before the connection counts as lost
     * (so a silently dead link is noticed within about 45 s, not at the TCP timeout of minutes). */
    keepaliveIntervalMs: 15_000,
    keepaliveCountMax: 3,
    /** Attempts of one connector step (connect + operation) before it fails to the caller. The outbox
     * retries a failed delivery later with its own backoff (DELIVERY_ATTEMPTS_MAX), and an inbound poll
     * simply runs again, so the connector only rides out short blips. */
    attemptsMax: 4,
    /** Exponential backoff between attempts: base, doubled each time, capped. */
    retryBaseDelayMs: 500,
    retryDelayMaxMs: 8_000,
    /** Wall-clock bound of all attempts of one step, so a dispatcher pass never hangs on one mailbox. */
    retryTotalMsMax: 60_000,
    /** After a mailbox was unreachable through every attempt, further steps for it fail at once for
     * this long (circuit open), so one outage does not cost each queued file the full retry time. */
    circuitOpenMs: 10_000,
    /** Files picked up from one inbound/ per receive() call (each is held in memory until acknowledged). */
    receiveFilesMax: 100,
  },
  // Screening against sanctions and negative lists (switch/risk/screening/, docs/risk.md "Screening").
  screening: {
    /** Smallest name similarity (0..1) reported as a hit. Similarity is the length-weighted mean of the
     * Jaro-Winkler similarities of aligned tokens (docs/risk.md "Screening"): one typo in a two-token
     * name of ordinary length scores 0.93 to 0.98, a name sharing one token of two with a listed name
     * scores at most about 0.55. 0.9 keeps every single-typo variant of the property tests a hit while
     * the generated population of unrelated names stays under 0.1 % false hits (figure in docs/risk.md). */
    nameSimilarityMin: 0.9,
    /** Smallest Jaro-Winkler similarity for which two tokens count as the same word at all: below it a
     * pair adds nothing (JOHN / JUAN is 0.70, SMITH / SMIHT 0.95, HAMAS / HAMAZ 0.92). */
    tokenSimilarityMin: 0.8,
    /** Longest name kept from a list or screened from a payment, in characters: OFAC's SDN_Name column
     * is 350 wide, ISO 20022 Nm is 140. A longer list name refuses the file; a longer payment name is
     * screened on its first 350 characters. */
    nameLengthMax: 350,
    /** Tokens of one name taken into account: real names have under ten; the bound keeps one hostile
     * 350-character name of one-letter words from costing a quadratic alignment. */
    nameTokensMax: 24,
    /** Screened words whose similar listed words each list index remembers (docs/risk.md "The index"):
     * a remembered word costs one Map look-up instead of its deletion neighbourhood and similarities.
     * 50,000 words (a few hundred bytes each: some 10 to 20 MB per list version) hold the everyday
     * vocabulary of payers' names; when full, the memory is emptied and fills again. */
    tokenMemoMax: 50_000,
    /** Screened values (whole names, BICs, IBANs, countries) whose matches the screener of a list
     * version remembers (docs/risk.md "The index"): names and agents repeat from payment to payment,
     * so most payments' screening is a few Map look-ups. 100,000 values (most with no match: a few
     * hundred bytes each); when full, the memory is emptied and fills again. */
    screenedValueMemoMax: 100_000,
    /** Largest list file: the UN consolidated list is about 2 MB, OFAC's sdn.csv about 5 MB; 1 GiB holds
     * a synthetic list of ten million names, and is streamed, never held whole. */
    listFileBytesMax: 1024 * 1024 * 1024,
    /** Largest single record of a list (one UN INDIVIDUAL or ENTITY element, one CSV row): the largest
     * UN record is under 20 KB; the bound is what the streaming parser keeps in memory at once. */
    listRecordBytesMax: 1024 * 1024,
    /** Values (names, aliases, BICs, IBANs, countries) of one list version: the UN list has about
     * 3,000, OFAC's about 40,000. A million generated names, nearly every word distinct, peak at 2.3 GB
     * while indexed (docs/performance.md "Screening"); three million keeps a pathological list within a
     * few gigabytes of the machine's 24, beside the rest of serve. */
    listValuesMax: 3_000_000,
    /** Values inserted per statement while a list is stored: a few hundred kilobytes of parameters. */
    listInsertBatchCount: 2_000,
    /** Values read per query while an index is built from the store: bounds what the rebuild holds
     * besides the index itself, and yields to the event loop between pages. */
    listReadPageCount: 20_000,
    /** How often a ScreeningLists looks for a newer list version (one indexed max() per second); the
     * new index is built in the background and replaces the old one when complete. */
    listPollIntervalMs: 1_000,
  },
  /** How often an engine looks for a newer scheme register version (an operator's `config apply`,
   * `participant suspend`, …, made by another process): the bound on how long a running `serve` keeps
   * the previous participants, caps and services (docs/operations.md "Configuration workflow"). One
   * indexed max() per second is nothing to the store; an operator's change in force within a second. */
  registerPollIntervalMs: 1_000,

  // Payee verification (acmt.023 / acmt.024; switch/engine/payee.ts, docs/risk.md "Payee verification").
  payee: {
    /** How long the switch waits for the payee's bank to answer a forwarded acmt.023 before it answers
     * the payer's bank itself (from the directory, else NOAP). Verification happens while the payer
     * waits at the screen: the EPC verification-of-payee rulebook allows 5 s end to end, and the switch
     * needs part of that for its own hops, so the payee bank gets 3 s. */
    answerTimeoutMs: 3_000,
    /** Name similarity (0..1, switch/risk/payee-match.ts) from which a name that is not a match is a
     * close match (CMTC, with the name on the account returned). Jaro-Winkler over tokens: 0.85 takes
     * one-letter typos and transliterations (Ana / Anna, Muller / Mueller), not another first name. */
    closeMatchSimilarityMin: 0.85,
    /** Accounts in one directory file: a large bank's retail book, loaded in one transaction. */
    directoryEntriesMax: 1_000_000,
    /** Length of a name in the directory (PartyIdentification272/Nm is Max140Text). */
    directoryNameLengthMax: 140,
    /** Length of an account identification (Max34Text: IBAN or Othr/Id). */
    directoryAccountLengthMax: 34,
  },

  // The risk stage's statements (switch/engine/risk.ts).
  riskStage: {
    /** From this many payments in one call (a batch file's), the stage plans its statements without JIT
     * (`SET LOCAL jit = off` for the rest of the intake transaction): its set-based statements are index
     * probes per payment whose estimated cost (about 8 per probe) passes PostgreSQL's jit_above_cost
     * (100,000) from a few thousand payments, and compiling them cost 65–700 ms per file for statements
     * that run in 70–150 ms without it (docs/performance.md "s11-batchrisk"). Below it no statement is
     * planned near the threshold, so smaller calls (real-time groups, single messages) send nothing more. */
    planWithoutJitFromPayments: 1_000,
  },

  // Risk scoring statistics (switch/risk/statistics.ts, docs/risk.md "Scoring").
  scoring: {
    /** Width of a debtor account's velocity bucket: the last hour is the current bucket and the 11 before
     * it, so "payments in the last hour" is exact to within 5 minutes, at most 289 rows per account for
     * the day; finer buckets would cost more rows for a distinction no threshold makes. */
    velocityBucketMs: 5 * 60_000,
    /** Width of a creditor account's new-debtor bucket (mule fan-in over 24 hours, exact to within the hour). */
    fanInBucketMs: 60 * 60_000,
    /** Buckets older than this before a payment's time are deleted when the account is next recorded and
     * by `pruneScoringBuckets` (the day roll): no feature looks further back than 24 hours. */
    bucketRetentionMs: 25 * 60 * 60_000,
    /** Payments one `risk evaluate` may generate: 200,000 stay a few minutes on the embedded store. */
    evaluatePaymentsMax: 200_000,
  },

  /** Reports (switch/reports/, docs/reports.md): the lists a report reads (the settlement agent's
   * messages, the delivered bulk files' headers) come through a cursor this many rows at a time, so a
   * report's memory does not grow with the day; 500 agent messages of a few KB each is about 2 MB. */
  reportCursorBatchRows: 500,
  /** How much of a delivered bulk pacs.008 a report reads: its group header and its first transaction's
   * ids (a group header is under 1 KB, a transaction about 1.1 KB; an 11 MB file is never read whole). */
  reportHeaderBytes: 8_192,
  /** Rows of a reconciliation's `mismatches` list kept in full; beyond it they are counted (mismatchesDropped). */
  reportMismatchesMax: 1_000,

  /** Notifications (switch/notify/, docs/notifications.md): webhooks and e-mail. */
  notify: {
    /** Attempts of one notification before it is dead-lettered and alerted: with the delays below
     * (1 s doubling, capped at 1 hour) ten attempts span about 8.5 minutes plus jitter, twelve about
     * 1.2 hours; a receiver down for longer than that is an operator matter, not a retry matter. */
    attemptsMax: 12,
    /** First retry delay; each later one doubles, with full jitter (a random delay between half and the whole). */
    retryBaseMs: 1_000,
    /** Longest retry delay: a receiver back after an outage is reached within the hour. */
    retryDelayMsMax: 60 * 60_000,
    /** A worker's lease on a notification while it sends it: longer than the webhook timeout plus the
     * SMTP exchange, so a live worker never loses its row; a crashed worker's row is due again after it. */
    leaseMs: 60_000,
    /** A webhook receiver must answer within this; a slow one is retried, not waited for. */
    webhookTimeoutMs: 10_000,
    /** Bytes of a webhook answer read (for the attempt record's error text); the rest is dropped. */
    responseBytesMax: 4_096,
    /** Replay window a receiver applies to the signature's timestamp (docs/notifications.md): five
     * minutes tolerates clock skew and the retry of one attempt, not a replay hours later. */
    signatureToleranceSeconds: 300,
    /** Notifications leased per worker pass; sent concurrently up to sendConcurrencyMax. */
    batchMax: 50,
    /** Webhook and SMTP exchanges in flight per worker: a slow receiver does not hold back the rest. */
    sendConcurrencyMax: 8,
    /** Subscriptions per participant (and for the operators): each one multiplies every event's rows. */
    subscriptionsPerOwnerMax: 20,
    /** Characters of an attempt's error text kept. */
    errorLengthMax: 500,
  },
  /** The inbound files a cycle's bulk files are built from (switch/engine/cycles/bulk-files.ts) are held in
   * memory up to this many bytes, the least recently used dropped beyond it (and read again if a later
   * bulk file needs them): every bulk file takes transactions from every sender's file, so a cycle whose
   * inbound files fit builds all its bulk files from one read of each; 200,000 transactions are 220 MB. */
  bulkSourceBytesMax: 320 * 2 ** 20,
  /** The inbound files settlement read for a cycle's bulk files are handed to the next dispatcher pass of the
   * same process (switch/engine/cycles/bulk-files.ts, handOverInboundFiles), which composes the same files
   * from them instead of reading them again; dropped after this long if no pass takes them (a dispatcher in
   * another process, serve's Redis mode), so that they hold no memory for long. */
  bulkSourcesHandoffMs: 60_000,
  /** Recipients a dispatcher pass delivers to at a time (switch/engine/dispatcher.ts), each recipient's messages
   * one after another in outbox order. While one delivery waits on its connector (a write, an fsync, the
   * network) another is composed: the batch bench's 20 bulk files, one per recipient, are written with
   * their composition overlapping the others' writes (docs/performance.md, "s13-settle"). Small, because a
   * pass is one transaction and the files composed at the same time share the main thread and the
   * inbound files held (limits.bulkSourceBytesMax). */
  dispatchRecipientsAtOnce: 4,
  /** Business-day statements (camt.053, switch/engine/statements.ts, docs/reports.md). */
  statements: {
    /** Settled payments read per query while a statement is written: one keyset batch at a time,
     * so a participant with millions of entries is written in bounded memory (about 1 KB a row). */
    readBatchRows: 5_000,
    /** Entries per camt.053 page delivered through the outbox (MsgPgntn): a page of 10,000 entries is
     * about 12 MB of XML, built and stored whole; a larger statement becomes several pages. */
    entriesPerPageMax: 10_000,
    /** Periodic intraday reports (camt.052, config intradayReports): the shortest interval. Each report
     * is one message per participant and currency through the outbox; every 5 minutes over a 10-hour
     * day is 120 a participant, and a shorter one would only load connectors with unchanged figures. */
    intradayIntervalMinutesMin: 5,
    /** The longest interval: one report a day (1440 minutes); longer would never fall in the hours. */
    intradayIntervalMinutesMax: 1440,
  },
  /** The audit sealer (switch/audit/sealer.ts) reads and chains the journal this many entries at a
   * time: a batch day writes hundreds of thousands, and a page of 10,000 is a few MB in memory. */
  auditSealBatch: 10_000,
  /** `clearhouse audit verify` and proofs read the ledger this many entries at a time. */
  auditReadBatch: 20_000,
} as const;

// The amount ceilings must keep every cycle's gross within cycleGrossMinorMax, and that within bigint.
{
  const { amounts, participantsMax } = limits;
  const cycleGross = BigInt(participantsMax) * (amounts.participantCycleBatchDebitsMinorMax + amounts.participantRealtimeDebitsMinorMax);
  if (cycleGross > amounts.cycleGrossMinorMax || amounts.cycleGrossMinorMax >= 2n ** 63n - 1n ||
    amounts.paymentMinorMax > amounts.messageMinorMax || amounts.messageMinorMax > amounts.participantCycleBatchDebitsMinorMax) {
    throw new Error('limits.amounts: the ceilings no longer bound a cycle\'s gross below 10^18 - 1 minor units');
  }
}
