namespace Tern.Configuration;

/// <summary>Every setting of Tern, bound from the config file, <c>TERN_*</c> variables and the command line.</summary>
/// <remarks>Keys are documented in <c>docs/CONFIG.md</c> and <c>tern.example.json</c>.</remarks>
public sealed class TernOptions
{
    /// <summary>The host name used in greetings, <c>Received:</c> headers and the self-signed certificate.</summary>
    public string HostName { get; set; } = DefaultHostName();

    /// <summary>Folder for accounts, mail, queue and generated certificate; relative to the working directory.</summary>
    public string DataDirectory { get; set; } = "./data";

    /// <summary>Seconds that open sessions get to finish after a stop is requested, before they are closed.</summary>
    public int ShutdownGraceSeconds { get; set; } = 20;

    public LogOptions Log { get; set; } = new();
    public TlsOptions Tls { get; set; } = new();
    public ConnectionLimitOptions Limits { get; set; } = new();
    public AuthOptions Auth { get; set; } = new();
    public DnsOptions Dns { get; set; } = new();
    public SmtpOptions Smtp { get; set; } = new();
    public Pop3Options Pop3 { get; set; } = new();
    public ImapOptions Imap { get; set; } = new();
    public QueueOptions Queue { get; set; } = new();
    public RelayOptions Relay { get; set; } = new();
    public StoreOptions Store { get; set; } = new();
    public HttpOptions Http { get; set; } = new();
    public Tern.MailAuth.MailAuthOptions MailAuth { get; set; } = new();

    public string ResolveDataPath(string path) =>
        Path.GetFullPath(Path.IsPathRooted(path) ? path : Path.Combine(DataDirectory, path));

    public string FullDataDirectory => Path.GetFullPath(DataDirectory);

    static string DefaultHostName()
    {
        try { return System.Net.Dns.GetHostName(); }
        catch (System.Net.Sockets.SocketException) { return "localhost"; }
    }
}

public sealed class LogOptions
{
    /// <summary>Minimum level: Trace, Debug, Information, Warning, Error, Critical.</summary>
    public string Level { get; set; } = "Information";

    /// <summary>Log every command and reply of every session (with AUTH data redacted), as the demo did.</summary>
    public bool SessionLog { get; set; } = true;
}

public sealed class TlsOptions
{
    /// <summary>PEM certificate (chain) file. When empty, a self-signed certificate is generated under data/tls.</summary>
    public string? CertificateFile { get; set; }

    /// <summary>PEM private key file (PKCS#8 or PKCS#1, RSA or EC).</summary>
    public string? KeyFile { get; set; }

    /// <summary>How often the certificate files are checked for a renewal.</summary>
    public int ReloadCheckSeconds { get; set; } = 30;
}

public sealed class ConnectionLimitOptions
{
    /// <summary>Connections over all mail listeners at once.</summary>
    public int MaxConnections { get; set; } = 2000;

    /// <summary>Connections from one client address at once.</summary>
    public int MaxConnectionsPerIp { get; set; } = 50;
}

public sealed class AuthOptions
{
    /// <summary>Delay before answering a failed login, in milliseconds.</summary>
    public int FailureDelayMilliseconds { get; set; } = 1000;

    /// <summary>Failed logins from one client address before it is refused for <see cref="LockoutSeconds"/>.</summary>
    public int MaxFailuresPerIp { get; set; } = 10;

    public int LockoutSeconds { get; set; } = 900;

    /// <summary>Allow clear-text passwords (AUTH PLAIN/LOGIN, USER/PASS, LOGIN) without TLS.</summary>
    public bool AllowPlaintextAuth { get; set; }

    /// <summary>Allow clear-text passwords without TLS from loopback clients (local webmail, tests).</summary>
    public bool AllowPlaintextAuthOnLoopback { get; set; } = true;

    /// <summary>PBKDF2-SHA512 iterations for new password hashes (OWASP 2023: 210,000).</summary>
    public int PasswordIterations { get; set; } = 210_000;
}

public sealed class DnsOptions
{
    /// <summary>DNS servers as "address" or "address:port" (the demo's DnsServer). Empty: the system's resolvers.</summary>
    public List<string> Servers { get; set; } = [];

    public int TimeoutSeconds { get; set; } = 5;
}

/// <summary>One listener role: whether it is on, and the addresses it binds ("*:25", "127.0.0.1:2525", "[::1]:25").</summary>
public sealed class ListenerOptions
{
    public bool Enabled { get; set; } = true;
    public List<string> Listen { get; set; } = [];
}

public sealed class SmtpOptions
{
    /// <summary>Port 25: inbound mail from anyone to local addresses; no relaying.</summary>
    public ListenerOptions Mx { get; set; } = new() { Listen = ["*:25"] };

    /// <summary>Port 587 (RFC 6409): AUTH required before MAIL.</summary>
    public ListenerOptions Submission { get; set; } = new() { Listen = ["*:587"] };

    /// <summary>Port 465 (RFC 8314): submission over implicit TLS.</summary>
    public ListenerOptions Submissions { get; set; } = new() { Listen = ["*:465"] };

    /// <summary>RFC 5321 4.5.3.2.7: 5 minutes for the server to wait for the next command.</summary>
    public int IdleTimeoutSeconds { get; set; } = 300;

    /// <summary>Largest accepted message in octets, announced with SIZE (RFC 1870).</summary>
    public long MaxMessageSize { get; set; } = 50 * 1024 * 1024;

    /// <summary>RFC 5321 4.5.3.1.8: at least 100 recipients must be accepted.</summary>
    public int MaxRecipients { get; set; } = 100;

    /// <summary>RFC 5321 4.5.3.1.4: command lines of 512 octets; extensions make them longer, so 4096 by default.</summary>
    public int MaxCommandLineLength { get; set; } = 4096;

    /// <summary>RFC 5321 4.5.3.1.6: text lines of 1000 octets including CRLF; kept generous by default.</summary>
    public int MaxDataLineLength { get; set; } = 65536;

    /// <summary>Commands (NOOP, RSET, VRFY, HELP...) allowed before a MAIL command.</summary>
    public int MaxCommandsBeforeMail { get; set; } = 50;

    /// <summary>Error replies in a session before the server closes it with 421.</summary>
    public int MaxErrors { get; set; } = 20;

    /// <summary>Unknown local recipients in a session before it is slowed, then closed.</summary>
    public int MaxUnknownRecipients { get; set; } = 10;

    /// <summary>Bare CR or bare LF in DATA/BDAT: Reject (550 5.5.2, the default, against SMTP smuggling) or Normalize (to CRLF).</summary>
    public string BareLineEndings { get; set; } = "Reject";

    /// <summary>Offer AUTH on plaintext connections of port 587 (off: STARTTLS first).</summary>
    public bool AllowAuthWithoutTls { get; set; }
}

public sealed class Pop3Options
{
    /// <summary>Port 110, with STLS.</summary>
    public ListenerOptions Plain { get; set; } = new() { Listen = ["*:110"] };

    /// <summary>Port 995, implicit TLS (RFC 8314).</summary>
    public ListenerOptions Tls { get; set; } = new() { Listen = ["*:995"] };

    /// <summary>RFC 1939 3: an autologout timer of at least 10 minutes.</summary>
    public int IdleTimeoutSeconds { get; set; } = 600;

    public int MaxLineLength { get; set; } = 1024;

    public int MaxErrors { get; set; } = 20;
}

public sealed class ImapOptions
{
    /// <summary>Port 143, with STARTTLS.</summary>
    public ListenerOptions Plain { get; set; } = new() { Listen = ["*:143"] };

    /// <summary>Port 993, implicit TLS (RFC 8314).</summary>
    public ListenerOptions Tls { get; set; } = new() { Listen = ["*:993"] };

    /// <summary>RFC 9051 5.4: an autologout timer of at least 30 minutes.</summary>
    public int IdleTimeoutSeconds { get; set; } = 1800;

    /// <summary>Longest command line, literals excluded.</summary>
    public int MaxLineLength { get; set; } = 65536;

    /// <summary>Largest literal (APPEND data included), announced as APPENDLIMIT.</summary>
    public long MaxLiteralSize { get; set; } = 50 * 1024 * 1024;

    /// <summary>Deepest nesting of parenthesised lists in a command.</summary>
    public int MaxNestingDepth { get; set; } = 16;

    public int MaxErrors { get; set; } = 50;

    /// <summary>RFC 5465 5.8: store events a NOTIFY session may have waiting (a client that does not read its
    /// connection); beyond it the session gets NOTIFICATIONOVERFLOW and notifications stop.</summary>
    public int MaxPendingNotifications { get; set; } = 10_000;
}

public sealed class QueueOptions
{
    /// <summary>The demo's RelayDir: ID.msg + ID.env pairs waiting for delivery. Relative to the data folder.</summary>
    public string Directory { get; set; } = "queue";

    /// <summary>The demo's BadDir: mail that failed for good, with the reason beside it.</summary>
    public string BadDirectory { get; set; } = "bad";
}

public sealed class RelayOptions
{
    /// <summary>Deliver mail for other domains (the queue runner of the relay). Off: such mail waits in the queue.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Seconds between scans of the queue folder (the demo's RelayInterval, 5000 ms).</summary>
    public int IntervalSeconds { get; set; } = 5;

    /// <summary>Port of the destination MX hosts; 25 except in tests.</summary>
    public int Port { get; set; } = 25;

    public int MaxConcurrentDeliveries { get; set; } = 20;
    public int MaxConcurrentPerDomain { get; set; } = 4;

    /// <summary>First retry delay in seconds; doubled each time up to <see cref="MaxRetryDelaySeconds"/>.</summary>
    public int FirstRetryDelaySeconds { get; set; } = 300;
    public int MaxRetryDelaySeconds { get; set; } = 4 * 3600;

    /// <summary>After this long in the queue a message is bounced (default 5 days).</summary>
    public int MaxQueueLifetimeSeconds { get; set; } = 5 * 24 * 3600;

    /// <summary>Optional smarthost "host:port" that replaces MX routing.</summary>
    public string? Smarthost { get; set; }
    public string? SmarthostUser { get; set; }
    public string? SmarthostPassword { get; set; }

    /// <summary>Domains for which STARTTLS is required, with a certificate valid for the MX host name (see docs/RELAY.md).</summary>
    public List<string> RequireTlsDomains { get; set; } = [];

    /// <summary>Seconds to open a TCP connection to one address of an MX host before trying the next address.</summary>
    public int ConnectTimeoutSeconds { get; set; } = 30;

    /// <summary>RFC 5321 4.5.3.2.1-4.5.3.2.3: 5 minutes for the greeting and the reply to each command.</summary>
    public int CommandTimeoutSeconds { get; set; } = 300;

    /// <summary>RFC 5321 4.5.3.2.5-4.5.3.2.6: 3 minutes per data block sent and 10 minutes for the reply to the final dot;
    /// MailKit has one stream timeout, so the larger one applies while a message is sent.</summary>
    public int DataTimeoutSeconds { get; set; } = 600;

    /// <summary>Send a "delayed" DSN (RFC 3464 Action: delayed) once a message has waited this long; 0 turns warnings off.</summary>
    public int DelayWarningSeconds { get; set; } = 4 * 3600;

    /// <summary>RFC 8461 MTA-STS: look up the destination domain's policy (<c>_mta-sts</c> TXT, then the policy file over
    /// HTTPS), cache it under data/mta-sts, and in <c>enforce</c> mode deliver only to matching MX hosts over verified TLS.</summary>
    public bool MtaStsEnabled { get; set; } = true;

    /// <summary>Seconds for fetching one MTA-STS policy over HTTPS (RFC 8461 3.3 suggests a minute at most).</summary>
    public int MtaStsFetchTimeoutSeconds { get; set; } = 30;

    /// <summary>For tests only: the port the MTA-STS policy host is fetched from (always 443 in real use). The policy host's
    /// address is looked up through <c>Dns:Servers</c>, so tests point it at a loopback HTTPS server with this port.</summary>
    public int MtaStsHttpsPort { get; set; } = 443;

    /// <summary>For tests only: a PEM file of CA certificates trusted in addition to the system store when the relay
    /// verifies a certificate (MX hosts under a TLS policy, MTA-STS policy hosts); relative to the working directory, like
    /// <c>Tls:CertificateFile</c>. Leave empty in production.</summary>
    public string? TestingTrustedCaFile { get; set; }
}

public sealed class StoreOptions
{
    /// <summary>Default quota for new users in bytes; 0 means unlimited.</summary>
    public long DefaultQuotaBytes { get; set; }

    /// <summary>Longest mailbox name in octets.</summary>
    public int MaxMailboxNameLength { get; set; } = 512;

    /// <summary>Deepest mailbox hierarchy.</summary>
    public int MaxMailboxDepth { get; set; } = 32;

    /// <summary>Octets of message headers kept in memory, least recently used out first, shared by every account: IMAP
    /// FETCH of BODY[HEADER], BODY[HEADER.FIELDS (...)] and RFC822.HEADER is answered from them without opening the
    /// message file (a client's message list asks this of every message it shows). 0 turns the cache off.</summary>
    public long HeaderCacheBytes { get; set; } = 32L * 1024 * 1024;
}

/// <summary>HTTP (metrics, admin), kept apart from the mail listeners. Off until those land.</summary>
public sealed class HttpOptions
{
    public bool Enabled { get; set; }
    public List<string> Listen { get; set; } = ["127.0.0.1:8025"];
}
