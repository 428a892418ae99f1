using System.Globalization;
using System.Text;
using MimeKit;
using MimeKit.Utils;

namespace Tern.Delivery.Dsn;

/// <summary>RFC 3464 section 2.3.3 actions.</summary>
public enum DsnAction { Failed, Delayed, Delivered, Relayed }

/// <summary>One recipient's block of a delivery status notification (RFC 3464 2.3).</summary>
/// <param name="OriginalRecipient">ORCPT from the envelope as "type;address" (RFC 3461 4.2); null when not given.</param>
/// <param name="Status">RFC 3463 code, "5.1.1".</param>
/// <param name="DiagnosticCode">The remote SMTP reply ("550 5.1.1 no such user") when there was one (RFC 3464 2.3.6).</param>
/// <param name="RemoteMta">The host that gave the reply (RFC 3464 2.3.5).</param>
/// <param name="Reason">Human-readable reason for the text part.</param>
public sealed record DsnRecipientReport(
    string FinalRecipient, string? OriginalRecipient, DsnAction Action, string Status, string? DiagnosticCode,
    string? RemoteMta, string Reason, DateTimeOffset? LastAttempt = null, DateTimeOffset? WillRetryUntil = null);

/// <param name="ReportingMta">Our host name (RFC 3464 2.2.2).</param>
/// <param name="To">Who gets the report: the original sender, or the postmaster for a bounce that bounced.</param>
/// <param name="EnvelopeId">ENVID of the original message (RFC 3461 4.4), returned as Original-Envelope-Id.</param>
/// <param name="ReturnFullMessage">RFC 3461 4.3 RET=FULL: the whole message; otherwise only its header.</param>
/// <param name="ToPostmaster">The original sender was &lt;&gt;; the report goes to the postmaster instead.</param>
public sealed record DsnRequest(
    string ReportingMta, string To, string? EnvelopeId, DateTimeOffset Arrival, string QueueId,
    IReadOnlyList<DsnRecipientReport> Recipients, bool ReturnFullMessage, bool ToPostmaster = false);

/// <summary>Builds an RFC 3464 delivery status notification: multipart/report; report-type=delivery-status (RFC 6522)
/// with a human-readable text/plain part, the machine-readable message/delivery-status part, and the original message
/// (message/rfc822) or its header (text/rfc822-headers).</summary>
public static class DsnBuilder
{
    /// <summary>Longest original header returned in a headers-only report.</summary>
    const int MaxHeaderBytes = 256 * 1024;

    /// <param name="original">The queued message (ID.msg), positioned at its start. For a full return it must stay
    /// open until the report is written: the attached message is read from it lazily.</param>
    public static MimeMessage Build(DsnRequest request, Stream original)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Mail Delivery System", "MAILER-DAEMON@" + request.ReportingMta));
        message.To.Add(MailboxAddress.Parse(request.To));
        message.Subject = SubjectOf(request);
        message.Date = DateTimeOffset.UtcNow;
        message.MessageId = MimeUtils.GenerateMessageId(request.ReportingMta);
        // RFC 3834 5: a machine-generated report, not to be answered automatically.
        message.Headers.Add("Auto-Submitted", "auto-replied");

        var report = new MultipartReport("delivery-status");
        report.Add(new TextPart("plain") { Content = TextContent(HumanText(request)) });
        report.Add(StatusPart(request));
        report.Add(request.ReturnFullMessage ? FullMessage(original) : HeadersOnly(original));
        message.Body = report;
        return message;
    }

    static string SubjectOf(DsnRequest request)
    {
        if (request.ToPostmaster)
            return "Postmaster Copy: Undelivered Mail";
        if (request.Recipients.Any(r => r.Action == DsnAction.Failed))
            return "Undelivered Mail Returned to Sender";
        if (request.Recipients.Any(r => r.Action == DsnAction.Delayed))
            return "Delayed Mail (still being retried)";
        return "Successful Mail Delivery Report";
    }

    static string HumanText(DsnRequest request)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"This is the mail system at host {request.ReportingMta}.\n\n");
        var failed = request.Recipients.Where(r => r.Action == DsnAction.Failed).ToList();
        var delayed = request.Recipients.Where(r => r.Action == DsnAction.Delayed).ToList();
        var done = request.Recipients.Where(r => r.Action is DsnAction.Delivered or DsnAction.Relayed).ToList();
        if (request.ToPostmaster)
            text.Append("A message from the null sender <> (a bounce or another notification) could not be delivered.\n\n");
        if (failed.Count > 0)
        {
            text.Append("I'm sorry to have to inform you that your message could not be delivered to one or more\n");
            text.Append("recipients. It is attached below.\n\n");
            foreach (var r in failed)
                text.Append(CultureInfo.InvariantCulture, $"<{r.FinalRecipient}>: {r.Reason}\n");
            text.Append('\n');
        }
        if (delayed.Count > 0)
        {
            text.Append("Your message could not be delivered yet to the recipients below. The mail system will keep\n");
            text.Append("trying; you do not need to send it again.\n\n");
            foreach (var r in delayed)
            {
                var until = r.WillRetryUntil is { } u ? $" (will retry until {DateUtils.FormatDate(u)})" : "";
                text.Append(CultureInfo.InvariantCulture, $"<{r.FinalRecipient}>: {r.Reason}{until}\n");
            }
            text.Append('\n');
        }
        if (done.Count > 0)
        {
            text.Append("Your message was delivered (or handed on to a system that sends no further reports) to:\n\n");
            foreach (var r in done)
                text.Append(CultureInfo.InvariantCulture, $"<{r.FinalRecipient}>: {r.Reason}\n");
            text.Append('\n');
        }
        text.Append(CultureInfo.InvariantCulture, $"Queue id: {request.QueueId}\n");
        return text.ToString();
    }

    static MimeContent TextContent(string text) =>
        new(new MemoryStream(Encoding.UTF8.GetBytes(text.Replace("\n", "\r\n", StringComparison.Ordinal))));

    /// <summary>RFC 3464 2.2 per-message fields, then one group of 2.3 per-recipient fields per recipient.</summary>
    static MessageDeliveryStatus StatusPart(DsnRequest request)
    {
        var status = new MessageDeliveryStatus();
        var perMessage = new HeaderList
        {
            { "Reporting-MTA", "dns; " + request.ReportingMta },
            { "X-Tern-Queue-ID", request.QueueId },
        };
        if (request.EnvelopeId is { Length: > 0 } envid)
            perMessage.Add("Original-Envelope-Id", envid);
        perMessage.Add("Arrival-Date", DateUtils.FormatDate(request.Arrival));
        status.StatusGroups.Add(perMessage);

        foreach (var r in request.Recipients)
        {
            var group = new HeaderList();
            if (r.OriginalRecipient is { Length: > 0 } orcpt)
                group.Add("Original-Recipient", WithType(orcpt));
            group.Add("Final-Recipient", "rfc822; " + r.FinalRecipient);
            group.Add("Action", r.Action.ToString().ToLowerInvariant());
            group.Add("Status", r.Status);
            if (r.RemoteMta is { Length: > 0 } mta)
                group.Add("Remote-MTA", "dns; " + mta);
            if (r.DiagnosticCode is { Length: > 0 } diagnostic)
                group.Add("Diagnostic-Code", "smtp; " + diagnostic);
            if (r.LastAttempt is { } last)
                group.Add("Last-Attempt-Date", DateUtils.FormatDate(last));
            if (r.WillRetryUntil is { } until)
                group.Add("Will-Retry-Until", DateUtils.FormatDate(until));
            status.StatusGroups.Add(group);
        }
        return status;
    }

    /// <summary>ORCPT is stored as "type;address"; RFC 3464 2.3.1 writes "type; address".</summary>
    static string WithType(string orcpt)
    {
        int semicolon = orcpt.IndexOf(';', StringComparison.Ordinal);
        return semicolon > 0 ? orcpt[..semicolon] + "; " + orcpt[(semicolon + 1)..].Trim() : "rfc822; " + orcpt;
    }

    static MessagePart FullMessage(Stream original) =>
        new("rfc822") { Message = MimeMessage.Load(original, persistent: original.CanSeek) };

    /// <summary>text/rfc822-headers (RFC 6522 4): the original header exactly as queued.</summary>
    static MimePart HeadersOnly(Stream original)
    {
        var header = new MemoryStream();
        var buffer = new byte[8192];
        int matched = 0; // progress through "\r\n\r\n"
        while (header.Length < MaxHeaderBytes)
        {
            int read = original.Read(buffer, 0, buffer.Length);
            if (read == 0)
                break;
            int end = -1;
            for (int i = 0; i < read; i++)
            {
                byte b = buffer[i];
                matched = (matched, b) switch
                {
                    (0 or 2, (byte)'\r') => matched + 1,
                    (1 or 3, (byte)'\n') => matched + 1,
                    (_, (byte)'\r') => 1,
                    _ => 0,
                };
                if (matched == 4) { end = i + 1; break; }
            }
            header.Write(buffer, 0, end >= 0 ? end : read);
            if (end >= 0)
                break;
        }
        header.Position = 0;
        return new MimePart("text", "rfc822-headers") { Content = new MimeContent(header) };
    }
}
