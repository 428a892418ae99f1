#nullable disable
using MailKit;
using MailKit.Net.Imap;
using MailKit.Search;
using MimeKit;

namespace Tern.Tests.Imap;

/// <summary>End to end with MailKit's ImapClient against a real in-process Tern.</summary>
public sealed class ImapMailKitTests
{
    [Fact]
    public async Task Append_then_fetch_returns_the_message_its_envelope_and_flags()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        using var client = await ImapTestMail.ConnectAsync(server, user);
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.UidPlus));
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadWrite);
        Assert.Equal(0, inbox.Count);
        var message = ImapTestMail.Simple("First message");
        var uid = await inbox.AppendAsync(message, MessageFlags.Flagged);
        Assert.NotNull(uid);
        await inbox.CheckAsync();
        Assert.Equal(1, inbox.Count);

        var summaries = await inbox.FetchAsync([uid.Value], new FetchRequest(
            MessageSummaryItems.Envelope | MessageSummaryItems.Flags | MessageSummaryItems.Size |
            MessageSummaryItems.InternalDate | MessageSummaryItems.UniqueId | MessageSummaryItems.BodyStructure));
        var s = Assert.Single(summaries);
        Assert.Equal("First message", s.Envelope.Subject);
        Assert.Equal("alice@example.org", ((MailboxAddress)s.Envelope.From[0]).Address);
        Assert.Equal("Alice Example", s.Envelope.From[0].Name);
        Assert.Equal(message.MessageId, s.Envelope.MessageId);
        Assert.True(s.Flags!.Value.HasFlag(MessageFlags.Flagged));
        Assert.False(s.Flags.Value.HasFlag(MessageFlags.Seen));
        Assert.Equal((uint)ImapTestMail.Bytes(message).Length, s.Size);
        Assert.Equal("text/plain", s.Body.ContentType.MimeType);

        var fetched = await inbox.GetMessageAsync(uid.Value);
        Assert.Equal("Hello there.\nSecond line.", ((TextPart)fetched.Body).Text.ReplaceLineEndings("\n").TrimEnd());
        // MailKit fetches with BODY.PEEK, so \Seen stays unset (RFC 9051 6.4.5).
        var flags = await inbox.FetchAsync([uid.Value], new FetchRequest(MessageSummaryItems.Flags));
        Assert.False(flags[0].Flags!.Value.HasFlag(MessageFlags.Seen));
        await client.DisconnectAsync(true);
    }

    [Fact]
    public async Task Bodystructure_of_nested_multipart_and_message_rfc822_matches_MimeKit()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        using var client = await ImapTestMail.ConnectAsync(server, user);
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadWrite);
        var message = ImapTestMail.Nested();
        var uid = (await inbox.AppendAsync(message, MessageFlags.None))!.Value;
        var parsed = MimeMessage.Load(new MemoryStream(ImapTestMail.Bytes(message)));

        var summary = (await inbox.FetchAsync([uid], new FetchRequest(MessageSummaryItems.BodyStructure | MessageSummaryItems.Envelope)))[0];
        var root = Assert.IsType<BodyPartMultipart>(summary.Body);
        Assert.Equal("multipart/mixed", root.ContentType.MimeType);
        var alt = Assert.IsType<BodyPartMultipart>(root.BodyParts[0]);
        Assert.Equal("multipart/alternative", alt.ContentType.MimeType);
        Assert.Equal(["text/plain", "text/html"], alt.BodyParts.Select(p => p.ContentType.MimeType));
        Assert.Equal("1.1", alt.BodyParts[0].PartSpecifier);
        Assert.Equal(2u, ((BodyPartText)alt.BodyParts[0]).Lines);
        var image = Assert.IsType<BodyPartBasic>(root.BodyParts[1]);
        Assert.Equal("image/png", image.ContentType.MimeType);
        Assert.Equal("base64", image.ContentTransferEncoding, ignoreCase: true);
        Assert.Equal("<pic@example.org>", image.ContentId);
        Assert.Equal("attachment", image.ContentDisposition.Disposition);
        var rfc822 = Assert.IsType<BodyPartMessage>(root.BodyParts[2]);
        Assert.Equal("Inner message", rfc822.Envelope.Subject);
        var innerRoot = Assert.IsType<BodyPartMultipart>(rfc822.Body);
        Assert.Equal(["text/plain", "application/octet-stream"], innerRoot.BodyParts.Select(p => p.ContentType.MimeType));
        Assert.Equal("3.1", innerRoot.BodyParts[0].PartSpecifier);
        Assert.Equal("3.2", innerRoot.BodyParts[1].PartSpecifier);

        // Every leaf's content, fetched by its part number, is what MimeKit parsed.
        var mimeLeaves = parsed.BodyParts.OfType<MimePart>().ToList();
        var imapLeaves = new[] { alt.BodyParts[0], alt.BodyParts[1], image, innerRoot.BodyParts[0], innerRoot.BodyParts[1] }.Cast<BodyPartBasic>().ToList();
        var outerLeaves = mimeLeaves.Take(3).ToList();
        var innerLeaves = ((MessagePart)((Multipart)parsed.Body)[2]).Message.BodyParts.OfType<MimePart>().ToList();
        var expected = outerLeaves.Concat(innerLeaves).ToList();
        Assert.Equal(expected.Count, imapLeaves.Count);
        for (int i = 0; i < imapLeaves.Count; i++)
        {
            var fetchedPart = (MimePart)await inbox.GetBodyPartAsync(uid, imapLeaves[i]);
            using var a = new MemoryStream();
            using var b = new MemoryStream();
            await fetchedPart.Content.DecodeToAsync(a);
            await expected[i].Content.DecodeToAsync(b);
            Assert.Equal(b.ToArray(), a.ToArray());
            Assert.Equal(expected[i].ContentType.MimeType, fetchedPart.ContentType.MimeType);
        }
        // The embedded message as a whole (BODY[3]) is parseable and is the inner message.
        var embedded = (MessagePart)await inbox.GetBodyPartAsync(uid, rfc822);
        Assert.Equal("Inner message", embedded.Message.Subject);
    }

    [Fact]
    public async Task Bodystructure_parameters_survive_the_store()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        using var client = await ImapTestMail.ConnectAsync(server, user);
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadWrite);
        var uid = (await inbox.AppendAsync(ImapTestMail.Nested(), MessageFlags.None))!.Value;
        var summary = (await inbox.FetchAsync([uid], new FetchRequest(MessageSummaryItems.BodyStructure)))[0];
        var root = (BodyPartMultipart)summary.Body;
        Assert.Equal("pic.png", ((BodyPartBasic)root.BodyParts[1]).ContentDisposition.FileName);
        Assert.NotNull(root.ContentType.Boundary);
    }

    [Fact]
    public async Task Partial_fetch_returns_the_requested_octets()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        using var client = await ImapTestMail.ConnectAsync(server, user);
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadWrite);
        var message = ImapTestMail.Simple("Partial", string.Join("\r\n", Enumerable.Range(0, 200).Select(i => $"line {i}")));
        var uid = (await inbox.AppendAsync(message, MessageFlags.None))!.Value;
        var bytes = ImapTestMail.Bytes(message);
        using var stream = await inbox.GetStreamAsync(uid, 100, 50);
        var part = new MemoryStream();
        await stream.CopyToAsync(part);
        Assert.Equal(bytes.AsSpan(100, 50).ToArray(), part.ToArray());
        using var tail = await inbox.GetStreamAsync(uid, bytes.Length - 10, 1000);
        var rest = new MemoryStream();
        await tail.CopyToAsync(rest);
        Assert.Equal(bytes.AsSpan(bytes.Length - 10).ToArray(), rest.ToArray());
        using var beyond = await inbox.GetStreamAsync(uid, bytes.Length + 10, 5);
        Assert.Equal(0, beyond.Length);
    }

    [Fact]
    public async Task Search_with_every_kind_of_key()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        using var client = await ImapTestMail.ConnectAsync(server, user);
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadWrite);
        var a = (await inbox.AppendAsync(ImapTestMail.Simple("Apples and pears", "The quick brown fox"), MessageFlags.Seen))!.Value;
        var m2 = ImapTestMail.Simple("Grüße aus Köln", "Straße und Brücke", from: "carol@example.net");
        m2.Headers.Add("X-Tag", "important");
        m2.Date = new DateTimeOffset(2020, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var b = (await inbox.AppendAsync(m2, MessageFlags.Flagged))!.Value;
        var c = (await inbox.AppendAsync(ImapTestMail.Simple("Big one", new string('z', 20000)), MessageFlags.Deleted))!.Value;

        Assert.Equal([a], await inbox.SearchAsync(SearchQuery.SubjectContains("apples")));
        Assert.Equal([b], await inbox.SearchAsync(SearchQuery.SubjectContains("grüße")));
        Assert.Equal([b], await inbox.SearchAsync(SearchQuery.BodyContains("brücke")));
        Assert.Equal([a], await inbox.SearchAsync(SearchQuery.BodyContains("QUICK")));
        Assert.Equal([b], await inbox.SearchAsync(SearchQuery.FromContains("carol")));
        Assert.Equal([b], await inbox.SearchAsync(SearchQuery.HeaderContains("X-Tag", "import")));
        Assert.Equal([a], await inbox.SearchAsync(SearchQuery.Seen));
        Assert.Equal([b, c], await inbox.SearchAsync(SearchQuery.NotSeen));
        Assert.Equal([b], await inbox.SearchAsync(SearchQuery.Flagged));
        Assert.Equal([c], await inbox.SearchAsync(SearchQuery.Deleted));
        Assert.Equal([c], await inbox.SearchAsync(SearchQuery.LargerThan(10000)));
        Assert.Equal([b], await inbox.SearchAsync(SearchQuery.SentBefore(new DateTime(2021, 1, 1))));
        Assert.Equal([a, c], await inbox.SearchAsync(SearchQuery.Not(SearchQuery.Flagged)));
        Assert.Equal([a, b], await inbox.SearchAsync(SearchQuery.Seen.Or(SearchQuery.Flagged)));
        Assert.Equal([b, c], await inbox.SearchAsync(SearchQuery.Uids([b, c])));
        Assert.Equal([a, b, c], await inbox.SearchAsync(SearchQuery.DeliveredAfter(DateTime.UtcNow.AddDays(-2))));
        Assert.Equal([a], await inbox.SearchAsync(SearchQuery.MessageContains("brown fox")));
        // ESEARCH (RFC 4731) through MailKit's SearchOptions.
        var results = await inbox.SearchAsync(SearchOptions.Count | SearchOptions.Min | SearchOptions.Max, SearchQuery.All);
        Assert.Equal(3, results.Count);
        Assert.Equal(a, results.Min);
        Assert.Equal(c, results.Max);
    }

    [Fact]
    public async Task Store_copy_move_and_expunge_with_UIDPLUS()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        using var client = await ImapTestMail.ConnectAsync(server, user);
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadWrite);
        var uids = new List<UniqueId>();
        for (int i = 0; i < 4; i++)
            uids.Add((await inbox.AppendAsync(ImapTestMail.Simple($"Message {i}"), MessageFlags.None))!.Value);
        var archive = await client.GetFolder(client.PersonalNamespaces[0]).CreateAsync("Keep", true);

        await inbox.AddFlagsAsync(uids[0], MessageFlags.Answered | MessageFlags.Flagged, true);
        await inbox.StoreAsync(uids[0], new StoreFlagsRequest(StoreAction.Add, new HashSet<string> { "$Important" }) { Silent = true });
        await inbox.RemoveFlagsAsync(uids[0], MessageFlags.Flagged, true);
        var f = (await inbox.FetchAsync([uids[0]], new FetchRequest(MessageSummaryItems.Flags)))[0];
        Assert.Equal(MessageFlags.Answered, f.Flags!.Value & ~MessageFlags.Recent);
        Assert.Contains("$Important", f.Keywords);

        var copied = await inbox.CopyToAsync(uids[1], archive);
        Assert.NotNull(copied);
        var moved = await inbox.MoveToAsync(uids[2], archive);
        Assert.NotNull(moved);
        Assert.Equal(3, inbox.Count);

        await inbox.AddFlagsAsync([uids[0], uids[3]], MessageFlags.Deleted, true);
        await inbox.ExpungeAsync([uids[3]]); // UID EXPUNGE
        Assert.Equal(2, inbox.Count);
        await inbox.ExpungeAsync();
        Assert.Equal(1, inbox.Count);
        Assert.Equal([uids[1]], await inbox.SearchAsync(SearchQuery.All));

        await archive.OpenAsync(FolderAccess.ReadOnly);
        Assert.Equal(2, archive.Count);
        var subjects = (await archive.FetchAsync(0, -1, new FetchRequest(MessageSummaryItems.Envelope))).Select(s => s.Envelope.Subject);
        Assert.Equal(["Message 1", "Message 2"], subjects);
    }

    [Fact]
    public async Task Mailboxes_are_created_listed_renamed_subscribed_and_deleted_with_international_names()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        using var client = await ImapTestMail.ConnectAsync(server, user);
        var root = client.GetFolder(client.PersonalNamespaces[0]);
        var projects = await root.CreateAsync("Projekte", false);
        var child = await projects.CreateAsync("Entwürfe 日本", true);
        var all = await root.GetSubfoldersAsync(false);
        Assert.Contains(all, f => f.FullName == "Projekte");
        var sub = await projects.GetSubfoldersAsync(false);
        Assert.Equal("Projekte/Entwürfe 日本", Assert.Single(sub).FullName);
        Assert.True(projects.Attributes.HasFlag(FolderAttributes.HasChildren));

        var sent = client.GetFolder(SpecialFolder.Sent);
        Assert.NotNull(sent);

        await child.SubscribeAsync();
        var subscribed = await root.GetSubfoldersAsync(true);
        Assert.DoesNotContain(subscribed, f => f.FullName == "Projekte");
        await child.RenameAsync(projects, "Fertig");
        Assert.Equal("Projekte/Fertig", child.FullName);
        await child.StatusAsync(StatusItems.Count | StatusItems.Unread | StatusItems.UidNext | StatusItems.Size);
        Assert.Equal(0, child.Count);
        await child.DeleteAsync();
        Assert.Empty(await projects.GetSubfoldersAsync(false));
    }

    [Fact]
    public async Task Quota_is_reported()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        await server.Accounts.SetQuotaAsync(user, 10 * 1024 * 1024);
        using var client = await ImapTestMail.ConnectAsync(server, user);
        Assert.True(client.Capabilities.HasFlag(ImapCapabilities.Quota));
        await client.Inbox.AppendAsync(ImapTestMail.Simple("Counted"), MessageFlags.None);
        var quota = await client.Inbox.GetQuotaAsync();
        Assert.Equal(10 * 1024u, quota.StorageLimit);
        Assert.True(quota.CurrentStorageSize >= 1);
    }
}
