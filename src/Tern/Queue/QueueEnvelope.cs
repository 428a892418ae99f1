using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tern.Queue;

/// <summary>The <c>ID.env</c> file: everything about one queued message except its content.</summary>
/// <remarks>
/// Format: UTF-8 JSON, <c>"version": 1</c>; documented in <c>docs/QUEUE.md</c>. Readers must refuse a version they do
/// not know. Writers replace the whole file atomically (temp file, fsync, rename, directory fsync) through
/// <see cref="QueueStore.UpdateEnvelopeAsync(string, Func{QueueEnvelope, bool}, CancellationToken)"/>.
/// </remarks>
public sealed class QueueEnvelope
{
    public const int CurrentVersion = 1;

    public int Version { get; set; } = CurrentVersion;

    /// <summary>The queue id (the file names' stem).</summary>
    public string Id { get; set; } = "";

    /// <summary>When the 250 reply was about to be sent (UTC).</summary>
    public DateTimeOffset Arrived { get; set; }

    public QueueSender Sender { get; set; } = new();

    public List<QueueRecipient> Recipients { get; set; } = [];

    public QueueClient Client { get; set; } = new();

    /// <summary>The mailbox local delivery files the message into instead of INBOX; null for INBOX. The inbound
    /// checks set "Junk" for a DMARC quarantine (docs/MAILAUTH.md).</summary>
    public string? Mailbox { get; set; }

    /// <summary>Octets of the .msg file (trace header included).</summary>
    public long Size { get; set; }

    /// <summary>True when every recipient is <see cref="RecipientState.Delivered"/> or <see cref="RecipientState.Failed"/>.</summary>
    [JsonIgnore]
    public bool IsFinished => Recipients.TrueForAll(r => r.State is RecipientState.Delivered or RecipientState.Failed);

    public QueueEnvelope Clone() =>
        JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(this, QueueJsonContext.Default.QueueEnvelope),
            QueueJsonContext.Default.QueueEnvelope)!;
}

/// <summary>MAIL FROM and its parameters (RFC 5321 4.1.1.2, RFC 1870, RFC 6152, RFC 6531, RFC 3461 4).</summary>
public sealed class QueueSender
{
    /// <summary>The reverse-path without angle brackets; empty for the null sender <c>&lt;&gt;</c> (bounces).</summary>
    public string Address { get; set; } = "";

    /// <summary>BODY=: "7BIT" or "8BITMIME" (RFC 6152); null when not given.</summary>
    public string? Body { get; set; }

    /// <summary>SMTPUTF8 was given (RFC 6531 3.4): addresses or headers may be UTF-8.</summary>
    public bool SmtpUtf8 { get; set; }

    /// <summary>RFC 3461 4.3 RET=: "FULL" or "HDRS"; null when not given.</summary>
    public string? Ret { get; set; }

    /// <summary>RFC 3461 4.4 ENVID=, xtext-decoded; null when not given.</summary>
    public string? EnvId { get; set; }

    /// <summary>RFC 8689 4.1: REQUIRETLS was given: every hop must use TLS with a verified certificate, or the message
    /// is returned (5.7.30). Added to version 1 without a version change: absent (older files) means false, and it is
    /// only written when true, so files without it stay byte-for-byte what older writers produced.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool RequireTls { get; set; }
}

public enum RecipientState
{
    /// <summary>Not yet tried, or waiting for the relay.</summary>
    Pending,
    /// <summary>Delivered (or handed on to an alias's targets); final.</summary>
    Delivered,
    /// <summary>Failed for good; <see cref="QueueRecipient.Reason"/> says why; final.</summary>
    Failed,
    /// <summary>Failed for now; retried at <see cref="QueueRecipient.NextAttempt"/>.</summary>
    Deferred,
}

/// <summary>One RCPT TO with its DSN parameters and delivery progress.</summary>
public sealed class QueueRecipient
{
    /// <summary>The forward-path without angle brackets (source route stripped, RFC 5321 C).</summary>
    public string Address { get; set; } = "";

    /// <summary>RFC 3461 4.2 ORCPT=, as "addr-type;address" with the xtext decoded; null when not given.</summary>
    public string? OriginalRecipient { get; set; }

    /// <summary>RFC 3461 4.1 NOTIFY=: empty when not given, else "NEVER" or some of "SUCCESS", "FAILURE", "DELAY".</summary>
    public List<string> Notify { get; set; } = [];

    [JsonConverter(typeof(JsonStringEnumConverter<RecipientState>))]
    public RecipientState State { get; set; }

    /// <summary>Last failure or deferral reason (an SMTP reply or a local error), for DSNs and the bad folder; a TLS
    /// failure names its cause (handshake error, certificate name mismatch, untrusted certificate, STARTTLS missing
    /// under a policy).</summary>
    public string? Reason { get; set; }

    public int Attempts { get; set; }
    public DateTimeOffset? LastAttempt { get; set; }
    public DateTimeOffset? NextAttempt { get; set; }

    /// <summary>Set when local delivery added this recipient as a remote target of the alias named here.</summary>
    public string? ExpandedFrom { get; set; }

    /// <summary>Local delivery: account ids that already have their copy (an alias with several users), so a retry
    /// after a crash or a deferral does not deliver them again.</summary>
    public List<long> DeliveredAccounts { get; set; } = [];

    /// <summary>True when the recipient can be tried now.</summary>
    public bool IsDue(DateTimeOffset now) =>
        State == RecipientState.Pending || (State == RecipientState.Deferred && (NextAttempt is null || NextAttempt <= now));
}

/// <summary>Who handed the message to us (for the trace, logs and abuse reports).</summary>
public sealed class QueueClient
{
    /// <summary>The client's IP address as text; empty for locally generated mail (bounces).</summary>
    public string Address { get; set; } = "";

    /// <summary>The EHLO/HELO argument.</summary>
    public string? Helo { get; set; }

    /// <summary>The SASL-authenticated user's address; null for an unauthenticated session.</summary>
    public string? AuthenticatedUser { get; set; }

    /// <summary>"TLSv1.3 TLS_AES_256_GCM_SHA384" when the session was encrypted; null otherwise.</summary>
    public string? Tls { get; set; }

    /// <summary>The listener role: "smtp-mx", "smtp-submission", "smtp-submissions", or "local".</summary>
    public string? Listener { get; set; }

    /// <summary>The RFC 3848 protocol name used in the Received header (ESMTPSA...).</summary>
    public string? Protocol { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(QueueEnvelope))]
internal sealed partial class QueueJsonContext : JsonSerializerContext;
