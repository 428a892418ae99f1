using Tern.Queue;
using Tern.Smtp.Protocol;

namespace Tern.Smtp.Server;

/// <summary>One mail transaction: from MAIL to the end of DATA/BDAT LAST or RSET (RFC 5321 3.3).</summary>
sealed class SmtpTransaction(SmtpAddress? sender, QueueSender envelopeSender) : IAsyncDisposable
{
    /// <summary>Null for the null reverse-path.</summary>
    public SmtpAddress? Sender { get; } = sender;
    public QueueSender EnvelopeSender { get; } = envelopeSender;
    public List<QueueRecipient> Recipients { get; } = [];

    /// <summary>BDAT chunks received so far go here (RFC 3030); null before the first chunk.</summary>
    public MessageIntake? Chunks { get; set; }

    /// <summary>BODY=8BITMIME or SMTPUTF8 was declared, so octets above 127 are allowed (RFC 6152, RFC 6531).</summary>
    public bool EightBitAllowed => EnvelopeSender.Body == "8BITMIME" || EnvelopeSender.SmtpUtf8;

    public async ValueTask DisposeAsync()
    {
        if (Chunks is not null)
            await Chunks.DisposeAsync().ConfigureAwait(false);
        Chunks = null;
    }
}
