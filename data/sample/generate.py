#!/usr/bin/env python3
"""Generate the tandem sample dataset for the fictional company Larkspur Cloud.

Run from the repository root:

    python data/sample/generate.py

It rewrites everything under data/sample/ except this script and README.md.
The output is deterministic (fixed seed, no wall-clock time): two runs give
byte-identical files. Dependencies: Python stdlib, pyyaml, pyarrow.

Layout of this file: data tables first (KB articles, HTML pages, policies,
incidents, customers, ticket templates, SFT/eval extras), then the builders,
then the self-checks that run at the end of every generation.
"""
from __future__ import annotations

import csv
import html
import io
import json
import random
import re
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import yaml

import live_examples  # noqa: E402  (next to this file: python puts the script's folder on sys.path)

SEED = 20261120
OUT = Path(__file__).resolve().parent
KB_URL = "https://help.larkspur.example/articles"
ABSTAIN = ("Summary: I could not find this in the knowledge base, so I will not guess.\n"
           "Steps:\n1. Escalate this ticket to a Tier 2 support agent.\n"
           "2. Tell the customer we will follow up within one business day.\nSources: none")


def qa(task, qs, summary, steps, mi=(), extra=()):
    """One question/answer unit grounded in a document.

    qs: phrasings of the question (qs[0] is used verbatim for eval items);
    summary/steps: the ideal answer; mi: must_include facts; extra: further gold ids.
    """
    return {"task": task, "qs": list(qs), "summary": summary, "steps": list(steps),
            "mi": list(mi), "extra": list(extra)}


# --------------------------------------------------------------------------
# KB articles (documents/kb_articles.jsonl)
# --------------------------------------------------------------------------
KB: list[dict] = []


def A(doc_id, title, cat, updated, paras, *qas):
    KB.append({"id": doc_id, "title": title, "category": cat, "updated_at": updated,
               "text": "\n\n".join(paras), "qa": list(qas)})


# Held out from SFT gold use; eval questions target these (facts must come from RAG).
HOLDOUT = {"KB-004", "KB-006", "KB-011", "KB-013", "KB-019", "KB-023", "KB-024", "KB-025",
           "KB-029", "KB-031", "KB-033", "KB-036", "KB-040", "KB-042", "KB-044", "KB-047",
           "KB-048", "KB-052", "KB-056", "KB-058", "KB-063", "KB-064", "KB-069", "KB-070",
           "KB-073", "KB-075", "KB-077", "KB-079", "KB-082", "KB-084", "KB-086",
           "KB-102", "KB-103", "KB-107", "POL-002", "POL-008", "POL-009", "POL-012"}
# Never gold: edited/deleted by the changes/ snapshot, or involved in a deliberately bad record.
NO_GOLD = {"KB-001", "KB-002", "KB-053", "KB-054", "KB-071", "KB-088", "INC-004", "INC-006"}

A("KB-001", "Compare Larkspur plans", "plans", "2026-07-01T09:00:00Z", [
    "Larkspur Cloud offers four plans. Prices below are per user per month; annual billing is charged once a year up front.",
    "Free: $0 for 1 user, 10 GB of storage, 30 days of version history and up to 3 shared spaces.",
    "Starter: $6 per user per month billed annually or $8 billed monthly, for teams of 1 to 10 users. Each user adds 1 TB to the team's pooled storage. Version history is kept for 90 days.",
    "Business: $12 per user per month billed annually or $15 billed monthly, minimum 3 users. Each user adds 2 TB of pooled storage, version history is kept for 180 days, and the Admin Console, shared link passwords and audit logs are included. SSO is available as an add-on.",
    "Enterprise: from $24 per user per month billed annually, minimum 25 users. Includes 5 TB per user of pooled storage, 365 days of version history, SSO and SCIM, a 99.95% uptime SLA and a named account manager. Contact sales@larkspur.example for a quote.",
    "Prices exclude VAT and sales tax, which are added at checkout based on your billing address."])
A("KB-002", "Business plan: pricing and what's included", "plans", "2026-07-01T09:05:00Z", [
    "The Business plan is built for teams of 3 or more that need admin controls. It costs $12 per user per month when billed annually ($144 per user per year) or $15 per user per month when billed monthly.",
    "What's included: 2 TB of pooled storage per licensed user, 180 days of version history, 90 days of Trash recovery, password-protected and expiring shared links, the Admin Console, audit logs with 1 year of retention, and email and chat support.",
    "Add-ons: SSO (SAML 2.0) for $3 per user per month, and extra storage in 1 TB packs for $10 per month each.",
    "The minimum is 3 paid seats. If you try to reduce a Business team below 3 seats, Settings > Billing asks you to downgrade to Starter instead."])
A("KB-003", "Starter plan: pricing and limits", "plans", "2026-05-19T14:20:00Z", [
    "Starter is designed for small teams of 1 to 10 users. It costs $6 per user per month billed annually or $8 per user per month billed monthly.",
    "Each Starter user adds 1 TB to the team's pooled storage, so a 4-person team shares 4 TB. Version history is kept for 90 days and deleted files stay in Trash for 30 days.",
    "Starter does not include the Admin Console, SSO, shared link passwords or audit logs. Team members are managed in Settings > Team, and support is by email with a first response within 48 hours.",
    "The 10-user cap is a hard limit: to add an 11th user, upgrade to Business from Settings > Billing > Change plan. Your unused Starter time is credited to the new plan automatically."],
  qa("billing_policy", ["We're 10 people on Starter and just hired someone. Can we add an 11th user?",
                        "is there a max number of users on the starter plan? we want to add our 11th hire",
                        "Can starter have more than 10 users or do we need to upgrade"],
     "Starter is capped at 10 users, so adding an 11th user requires upgrading to Business; unused Starter time is credited to the new plan automatically.",
     ["Open Settings > Billing > Change plan.", "Select Business and confirm the seat count including the new user.",
      "Invite the new user once the upgrade is complete."], ["10 users"]),
  qa("billing_policy", ["How much is Starter if we pay monthly vs yearly?",
                        "what does the starter plan cost per person and how much storage do we get"],
     "Starter costs $6 per user per month billed annually or $8 per user per month billed monthly, and each user adds 1 TB to the team's pooled storage.",
     ["Decide between annual and monthly billing based on budget.", "Choose the plan in Settings > Billing > Change plan.",
      "Remember the 10-user cap when planning growth."], ["$6 per user per month", "1 TB"]))
A("KB-004", "Enterprise plan overview", "plans", "2026-06-03T10:00:00Z", [
    "Enterprise is for organizations with 25 or more users that need advanced security, compliance and support. Pricing starts at $24 per user per month billed annually; quotes depend on seat count and contract length, and multi-year contracts are available.",
    "Included: 5 TB of pooled storage per user, 365 days of version history, SSO and SCIM provisioning, IP allowlisting, data residency selection and region migration, 3 years of audit log retention, and a 99.95% monthly uptime SLA.",
    "Support: 24/7 phone support for priority 1 issues with a 1-hour response target, plus a named account manager and quarterly business reviews.",
    "To request a quote, contact sales@larkspur.example or click Talk to sales in Settings > Billing. Existing Business customers can move to Enterprise mid-term; the remaining Business balance is credited against the first Enterprise invoice."],
  qa("billing_policy", ["What is the minimum team size for Enterprise and what does it start at per user?"],
     "Enterprise requires 25 or more users and starts at $24 per user per month billed annually, with quotes based on seat count and contract length.",
     ["Confirm the customer has 25 or more users.", "Point them to sales@larkspur.example or Talk to sales in Settings > Billing for a quote.",
      "If they are on Business today, explain that the remaining balance is credited against the first Enterprise invoice."],
     ["25 or more users", "$24 per user per month"]))
A("KB-005", "Free plan limits", "plans", "2026-02-11T08:45:00Z", [
    "The Free plan is for individuals trying Larkspur. It includes 1 user, 10 GB of storage, up to 3 shared spaces, 30 days of version history and 30 days of Trash recovery.",
    "Shared links on Free cannot have passwords or expiry dates, and each link is limited to 20 GB of downloads per day. Camera uploads from the mobile app count toward the 10 GB.",
    "Free accounts with no sign-in for 12 months are marked inactive. We email the account address 30 days before an inactive account's files are deleted; signing in once cancels the deletion.",
    "When you reach 10 GB, uploads and sync stop with error E-2107 until you free up space or upgrade to Starter."],
  qa("account_reactivation", ["I haven't used my free Larkspur account in ages, will my files get deleted??",
                        "does larkspur delete free accounts that nobody logs into?",
                        "My old free account from college, is it still there or do you delete inactive ones"],
     "Free accounts with no sign-in for 12 months are marked inactive, and we email 30 days before their files are deleted; signing in once cancels the deletion.",
     ["Sign in to the Free account to reset the inactivity timer.", "Make sure the account email address still receives mail so the 30-day warning arrives.",
      "Download anything important if you no longer plan to use the account."], ["12 months", "30 days"]),
  qa("troubleshooting", ["Whats the storage limit on the free plan? my uploads just stopped",
                         "free account, sync stopped with E-2107"],
     "The Free plan includes 10 GB of storage; when you reach it, uploads and sync stop with error E-2107 until you free up space or upgrade to Starter.",
     ["Check your usage against the 10 GB limit.", "Delete files you no longer need, including camera uploads, which count toward the limit.",
      "Upgrade to Starter if you need more space."], ["10 GB", "E-2107"]))
A("KB-006", "Nonprofit and education discounts", "plans", "2026-04-14T12:30:00Z", [
    "Registered nonprofits get 40% off the Business plan, and accredited schools and universities get 50% off Business or Enterprise. Discounts apply to annual billing only and cannot be combined with promo codes.",
    "To apply, the account owner submits the form at larkspur.example/nonprofit with a registration document, for example a 501(c)(3) determination letter or a charity commission number. Verification takes 3 to 5 business days.",
    "Once approved, the discount applies from the next invoice; we don't refund the difference on invoices already paid. Eligibility is re-verified every 2 years, and we email the owner 60 days before the re-verification deadline."],
  qa("billing_policy", ["How much discount do registered nonprofits get, and how long does the verification take?"],
     "Registered nonprofits get 40% off the Business plan on annual billing, and verification of the registration document takes 3 to 5 business days.",
     ["Ask the account owner to submit the form at larkspur.example/nonprofit with a registration document.",
      "Explain the discount applies from the next invoice and is not refunded on invoices already paid.",
      "Mention the discount cannot be combined with promo codes."], ["40%", "3 to 5 business days"]))
A("KB-007", "Adding or removing seats", "billing", "2026-08-21T16:10:00Z", [
    "Owners and billing admins change the number of paid seats in Settings > Billing > Seats.",
    "Adding seats: new seats are charged immediately, prorated to the day for the rest of your billing period. On an annual plan, adding 5 seats halfway through the year costs about half the annual price of 5 seats.",
    "Removing seats: seats can only be removed down to the number of active members, and the reduction takes effect at your next renewal date (annual) or next monthly bill. We don't refund seats removed mid-term.",
    "Tip: remove or deactivate the user first in Admin Console > Members (Settings > Team on Starter), then lower the seat count. Otherwise the change is blocked with error E-3120."],
  qa("billing_policy", ["We let 4 people go, can we drop their seats and get money back for the rest of the year?",
                        "How do I reduce seats on our annual plan? Do we get a partial refund?",
                        "we have too many licences, can we lower them now and get refunded"],
     "Seat reductions take effect at your next renewal date on annual plans (or the next monthly bill), and seats removed mid-term are not refunded.",
     ["Remove the departed users in Admin Console > Members.", "Lower the seat count in Settings > Billing > Seats.",
      "Confirm with the customer that the new count applies from the next renewal date."], ["next renewal date"]),
  qa("troubleshooting", ["Getting error E-3120 when I try to lower our seat count",
                         "billing page won't let me remove seats, says E-3120"],
     "E-3120 means the seat count can't go below the number of active members, so the users must be removed or deactivated before lowering the seats.",
     ["Remove or deactivate the users in Admin Console > Members (Settings > Team on Starter).", "Return to Settings > Billing > Seats and lower the count.",
      "Note that the reduction takes effect at the next renewal date or next monthly bill."], ["E-3120"]))
A("KB-008", "Upgrading or downgrading your plan", "plans", "2026-06-30T11:00:00Z", [
    "Upgrades take effect immediately. We credit the unused part of your current plan and charge the new plan prorated to the day.",
    "Downgrades take effect at the end of your current billing period, so you keep your current features until then. Schedule a downgrade in Settings > Billing > Change plan.",
    "If your stored data is above the new plan's limit when the downgrade takes effect, the team gets a 30-day grace period. After that, the account becomes read-only: files can be viewed and downloaded but not uploaded or edited until usage is under the limit.",
    "Downgrading from Business to Starter removes the Admin Console, audit logs and shared link passwords. Links that had a password are disabled at downgrade time."],
  qa("billing_policy", ["If we downgrade from Business to Starter and we're over the storage limit what happens to our files",
                        "thinking of downgrading our plan but we have lots of data. Do we lose anything?"],
     "Downgrades take effect at the end of the current billing period; if stored data is above the new limit there is a 30-day grace period, after which the account becomes read-only until usage is under the limit.",
     ["Schedule the downgrade in Settings > Billing > Change plan.", "Delete or move files before the grace period ends to get under the new plan's limit.",
      "Warn users that password-protected links are disabled at downgrade time."], ["30-day grace period", "read-only"]),
  qa("billing_policy", ["If I upgrade from Starter to Business today, do I pay twice for this month?"],
     "Upgrades take effect immediately: the unused part of the current plan is credited and the new plan is charged prorated to the day, so you don't pay twice.",
     ["Open Settings > Billing > Change plan and choose the new plan.", "Review the prorated amount shown before confirming.",
      "Check the next invoice for the credit of unused time."], ["prorated to the day"]))
A("KB-009", "Business free trial", "plans", "2026-03-02T09:30:00Z", [
    "You can try the Business plan free for 14 days with up to 20 users. No payment card is needed to start a trial, and every Business feature is included except SSO.",
    "At the end of the trial, the team moves to the Free plan unless the owner adds a payment method and chooses a plan in Settings > Billing. Files above the Free limit stay in the account but uploads stop until you upgrade or free up space.",
    "Each organization can use one trial. A trial can be extended once by 7 days if you contact support before the trial ends.",
    "Trial users who are invited after day 10 still get access only until the original end date."],
  qa("billing_policy", ["Our trial ends tomorrow and we haven't finished evaluating, can we get more time?",
                        "can you extend our business trial? need another week to get approval"],
     "Business trials last 14 days and can be extended once by 7 days if you contact support before the trial ends.",
     ["Confirm the trial has not already ended or been extended.", "Extend the trial once by 7 days.",
      "Remind the owner to add a payment method in Settings > Billing before the new end date."], ["14 days", "7 days"]))
A("KB-010", "How pooled storage works", "storage", "2026-01-27T13:15:00Z", [
    "On Starter, Business and Enterprise, storage is pooled across the team. Each paid seat adds its allowance (1 TB on Starter, 2 TB on Business, 5 TB on Enterprise) to one shared pool that any member can use.",
    "Files in shared spaces count against the pool of the team that owns the space, not the members who uploaded them. Files shared with you by another team do not use your storage.",
    "Admins can see usage per member and per space in Admin Console > Storage. Business and Enterprise admins can set a per-member cap, for example 500 GB, to stop one person from filling the pool.",
    "Deleted files in Trash still count toward storage until they are permanently deleted."],
  qa("how_to", ["one of our designers is using like 40% of our storage, can I limit how much each person uses?",
                "Is there a way to cap storage per user? One guy uploads all his raw footage"],
     "Business and Enterprise admins can set a per-member storage cap, for example 500 GB, in Admin Console > Storage, where usage per member and per space is also shown.",
     ["Open Admin Console > Storage and review usage per member.", "Set a per-member cap for the heavy user or for everyone.",
      "Remind users that files in Trash still count until permanently deleted."], ["Admin Console > Storage"]),
  qa("billing_policy", ["does stuff other teams share with us count toward our storage?",
                        "A client shared 3 TB with us, is that eating our quota?"],
     "Files shared with you by another team do not use your storage; files in shared spaces count against the pool of the team that owns the space.",
     ["Check which team owns the shared space.", "Review your own usage in Admin Console > Storage.",
      "Explain that only your team's own files and spaces use your pool."], ["do not use your storage"]))
A("KB-011", "Buying extra storage", "storage", "2026-05-05T10:40:00Z", [
    "Business and Enterprise teams can buy storage add-ons when the pooled storage is not enough. Add-ons come in 1 TB packs for $10 per month or 10 TB packs for $80 per month.",
    "Add-ons follow your billing cycle: on an annual plan they are billed annually and prorated to your renewal date. A team can hold up to 50 TB of add-on storage; beyond that, contact sales.",
    "Buy add-ons in Settings > Billing > Storage add-ons. The extra space is available within 5 minutes. Add-ons can be removed at renewal, but only if current usage fits in the remaining storage.",
    "Starter teams cannot buy add-ons and need to add seats or upgrade to Business for more space."],
  qa("billing_policy", ["What do the storage add-on packs cost, and can a team on Starter buy one?"],
     "Storage add-ons cost $10 per month for a 1 TB pack or $80 per month for a 10 TB pack, and they are only available on Business and Enterprise, so a Starter team must add seats or upgrade.",
     ["Check the customer's plan in Settings > Billing.", "On Business or Enterprise, buy the pack in Settings > Billing > Storage add-ons; space is available within 5 minutes.",
      "On Starter, offer more seats or an upgrade to Business instead."], ["$10 per month", "$80 per month"]))
A("KB-012", "File size limits for uploads", "storage", "2026-03-18T15:00:00Z", [
    "The maximum size of a single file depends on how you upload it: 250 GB with the Larkspur Sync desktop app or the API, 50 GB in a web browser, and 4 GB from the iOS or Android app.",
    "Uploads above the limit fail with error E-5501 (file too large). Large browser uploads can also fail if the computer goes to sleep, so keep the tab open until the progress bar completes.",
    "There is no limit on the number of files, but folders with more than 100,000 items directly inside them load slowly in the web app. Split very large folders into subfolders."],
  qa("troubleshooting", ["trying to upload a 70GB video thru chrome and it fails with E-5501",
                         "Upload of a big file keeps failing in the browser, error E-5501. what's the max?",
                         "whats the biggest file I can upload from my phone"],
     "E-5501 means the file is over the upload limit: browsers accept up to 50 GB per file, the mobile apps 4 GB, while the Larkspur Sync desktop app and the API accept up to 250 GB.",
     ["Install or open Larkspur Sync on the computer that has the file.", "Move the file into the Larkspur folder so the desktop app uploads it.",
      "Keep the computer awake until the upload completes."], ["E-5501", "50 GB", "250 GB"]))
A("KB-013", "Version history retention", "storage", "2026-04-02T09:10:00Z", [
    "Larkspur keeps previous versions of every file so you can restore an earlier copy. Retention depends on your plan: Free 30 days, Starter 90 days, Business 180 days, Enterprise 365 days.",
    "Up to 100 versions per file are kept within that window; the oldest version is dropped when a file reaches version 101.",
    "To restore a version, right-click the file in the web app, choose Version history, pick a timestamp and click Restore. Restoring creates a new version, so nothing is lost.",
    "Only the changed blocks of each version count toward storage, not full copies."],
  qa("how_to", ["How far back can a team on Business restore an older version of a file?"],
     "Business keeps version history for 180 days (up to 100 versions per file), and restoring creates a new version so nothing is lost.",
     ["Right-click the file in the web app and choose Version history.", "Pick the timestamp to go back to and click Restore.",
      "Tell the customer that versions older than the retention window cannot be recovered."], ["180 days"]))
A("KB-014", "Recovering deleted files from Trash", "storage", "2026-02-23T10:20:00Z", [
    "Deleted files go to Trash. They stay there for 30 days on Free and Starter and 90 days on Business and Enterprise, and then they are permanently deleted.",
    "To restore, open Trash in the web app sidebar, select the files and click Restore. Files return to their original folder; if the folder no longer exists it is recreated.",
    "On Business and Enterprise, admins can restore files deleted by any member from Admin Console > Storage > Deleted files, including files of users removed in the last 90 days.",
    "Files emptied from Trash cannot be recovered by support."],
  qa("how_to", ["Someone deleted a whole project folder a few weeks back, we're on Business, can we get it back?",
                "how long do deleted files stay in the trash on business plan",
                "A colleague who left deleted stuff before leaving. Can an admin restore it?"],
     "On Business, deleted files stay in Trash for 90 days, and admins can restore files deleted by any member, including removed users, from Admin Console > Storage > Deleted files.",
     ["Open Admin Console > Storage > Deleted files.", "Find the folder and click Restore; it returns to its original location.",
      "Explain that files emptied from Trash cannot be recovered by support."], ["90 days"]))
A("KB-015", "Storage quota exceeded (E-2107)", "storage", "2026-06-12T08:00:00Z", [
    "Error E-2107 means your team's storage is full. While it is shown, uploads and sync from all devices stop, but every file stays viewable, downloadable and shareable.",
    "Free up space by emptying Trash, deleting old versions you no longer need, or removing large files. Usage updates within 10 minutes.",
    "To get more space, add seats (each seat adds storage to the pool), upgrade your plan, or on Business and Enterprise buy a storage add-on.",
    "Desktop clients resume syncing automatically once usage is under the limit; you don't need to restart Larkspur Sync."],
  qa("troubleshooting", ["Sync stopped for everyone in the office, error E-2107, what do we do",
                         "E-2107 everywhere!! can we still get to our files?",
                         "storage full error on all our laptops, do we need to reinstall?"],
     "E-2107 means the team's storage is full: uploads and sync stop but all files stay viewable, downloadable and shareable, and sync resumes automatically once usage is under the limit.",
     ["Empty Trash and remove large files or old versions you no longer need.", "Wait up to 10 minutes for usage to update.",
      "If you need more space, add seats, upgrade the plan, or buy a storage add-on on Business or Enterprise."], ["E-2107", "10 minutes"]))
A("KB-016", "Monthly vs annual billing", "billing", "2026-01-15T12:00:00Z", [
    "You can pay monthly or annually. Annual billing costs less per user: for example, Starter is $6 per user per month billed annually versus $8 billed monthly.",
    "Monthly plans renew on the same day each month; annual plans renew on the anniversary of the purchase date. If that day doesn't exist in a month (for example the 31st), we bill on the last day of the month.",
    "Switching from monthly to annual takes effect immediately and the unused part of the current month is credited. Switching from annual to monthly is only possible at renewal. Change the cycle in Settings > Billing > Billing cycle.",
    "Renewal reminders are emailed to billing contacts 30 days before an annual renewal and 7 days before a monthly renewal."],
  qa("billing_policy", ["We pay monthly, can we switch to yearly now or do we have to wait until something?",
                        "how do I move us from monthly to annual billing mid month"],
     "Switching from monthly to annual takes effect immediately and the unused part of the current month is credited; switching from annual to monthly is only possible at renewal.",
     ["Open Settings > Billing > Billing cycle.", "Choose annual billing and confirm the charge.",
      "Check that the credit for the unused part of the month appears on the invoice."], ["takes effect immediately"]),
  qa("billing_policy", ["Do you send a reminder before the annual renewal? our finance team got surprised last year",
                        "when will we be notified before our yearly plan renews"],
     "Renewal reminders are emailed to billing contacts 30 days before an annual renewal and 7 days before a monthly renewal.",
     ["Check who is listed as a billing contact.", "Add the finance team as billing contacts so they receive the 30-day reminder.",
      "Note the renewal date, which is the anniversary of the purchase date."], ["30 days"]))
A("KB-017", "Requesting a refund", "billing", "2026-07-08T09:00:00Z", [
    "Refunds follow the Larkspur Refund Policy (POL-001). In short: annual plans can be refunded in full within 30 days of the initial purchase or a renewal; monthly plans are not refunded for partial months.",
    "To request a refund, the account owner or a billing admin contacts support from Settings > Billing > Get help with a charge and includes the invoice number (for example INV-2026-09-0042).",
    "Approved refunds go back to the original payment method. Card refunds take 5 to 10 business days to appear; SEPA and ACH refunds can take up to 15 business days.",
    "Duplicate charges are always refunded in full, whatever the plan."],
  qa("billing_policy", ["I renewed our annual plan by mistake last week and want to cancel. Can I get my money back?",
                        "Accidentally auto-renewed yearly subscription, refund please",
                        "our annual renewal just went through but we're moving to another tool, refund possible?"],
     "Annual plans can be refunded in full within 30 days of the initial purchase or a renewal, and card refunds take 5 to 10 business days to appear.",
     ["Ask the account owner or a billing admin to use Settings > Billing > Get help with a charge.", "Include the invoice number of the renewal in the request.",
      "Explain that the refund goes back to the original payment method."], ["30 days", "5 to 10 business days"], ["POL-001"]),
  qa("billing_policy", ["We paid by SEPA and got a refund approved 8 days ago, still not in our account",
                        "when will our ACH refund show up?"],
     "Approved refunds go back to the original payment method; SEPA and ACH refunds can take up to 15 business days, while card refunds take 5 to 10 business days.",
     ["Confirm the refund was approved and note the date.", "Tell the customer SEPA and ACH refunds can take up to 15 business days.",
      "If it still hasn't arrived after that, ask for the invoice number to investigate."], ["15 business days"]))
A("KB-018", "Downloading invoices and receipts", "billing", "2026-03-25T10:00:00Z", [
    "Every charge creates an invoice. Owners and billing admins can download them as PDF from Settings > Billing > Invoices. Invoices are kept for 7 years.",
    "Invoice numbers use the format INV-YYYY-MM-NNNN. Each invoice lists the plan, seat count, billing period, tax and payment method (last 4 digits only).",
    "Invoices are also emailed to every billing contact. Add up to 5 billing contacts in Settings > Billing > Billing contacts; they don't need a Larkspur seat.",
    "To change the company name, tax ID or address on past invoices, see Adding a VAT or tax ID to invoices."],
  qa("billing_policy", ["our accountant needs all invoices from last year, where can I get them, and can she get them emailed?",
                        "Where do I download invoices? Also can our bookkeeper receive them without a paid seat?"],
     "Owners and billing admins can download invoices as PDF from Settings > Billing > Invoices, where they are kept for 7 years, and up to 5 billing contacts can receive them by email without needing a seat.",
     ["Open Settings > Billing > Invoices and download the PDFs.", "Add the accountant in Settings > Billing > Billing contacts.",
      "Confirm she will receive future invoices by email."], ["7 years", "5 billing contacts"]))
A("KB-019", "Adding a VAT or tax ID to invoices", "billing", "2026-09-09T14:30:00Z", [
    "Add your VAT, GST or other tax ID in Settings > Billing > Tax details. EU VAT IDs are validated against VIES; reverse charge is applied when the ID is valid and your billing address is in a different EU country from our EU entity in Ireland.",
    "If the ID format is wrong you'll see error E-3318. Enter the ID with its country prefix and without spaces, for example DE123456789.",
    "Tax details apply to future invoices. To correct invoices already issued, click Request reissue next to the invoice. Invoices from the last 90 days can be reissued; older ones cannot.",
    "Changing the billing country may change the billing currency at the next renewal."],
  qa("billing_policy", ["A customer just added their VAT number and wants last month's invoice corrected. Is that possible, and what does E-3318 mean?"],
     "Invoices from the last 90 days can be reissued with the tax ID using Request reissue; E-3318 means the ID format is wrong and it must be entered with its country prefix and without spaces.",
     ["Have the customer fix the ID in Settings > Billing > Tax details.", "Click Request reissue next to last month's invoice.",
      "Explain that invoices older than 90 days cannot be reissued."], ["90 days", "E-3318"]))
A("KB-020", "Accepted payment methods", "billing", "2026-04-20T09:40:00Z", [
    "Larkspur accepts Visa, Mastercard and American Express cards on all paid plans, plus Discover for US billing addresses.",
    "SEPA Direct Debit is available for teams billed in EUR, and ACH debit for teams billed in USD on annual plans.",
    "Annual contracts of $3,000 or more can also be paid by bank transfer against an invoice (see Paying by invoice or purchase order).",
    "We don't accept cheques, cash or prepaid cards. Payment methods are managed by owners and billing admins in Settings > Billing > Payment method."],
  qa("billing_policy", ["can we pay with SEPA direct debit? we're billed in euros",
                        "Is direct debit an option for a company in Germany paying in EUR?"],
     "Yes, SEPA Direct Debit is available for teams billed in EUR, and an owner or billing admin can set it up in Settings > Billing > Payment method.",
     ["Confirm the team is billed in EUR.", "Ask an owner or billing admin to add SEPA Direct Debit in Settings > Billing > Payment method.",
      "Remind them never to send bank details to support by email."], ["SEPA Direct Debit"]),
  qa("billing_policy", ["My prepaid visa gets rejected every time, why?",
                        "does larkspur take prepaid cards or cheques?"],
     "Larkspur doesn't accept prepaid cards, cheques or cash; Visa, Mastercard and American Express cards are accepted on all paid plans.",
     ["Ask the customer to use a regular credit or debit card.", "Update it in Settings > Billing > Payment method.",
      "For EUR billing, offer SEPA Direct Debit as an alternative."], ["prepaid cards"]))
A("KB-021", "Updating your payment card", "billing", "2026-05-28T11:25:00Z", [
    "Owners and billing admins replace the card in Settings > Billing > Payment method > Replace card. The new card is verified with a temporary authorization of $1 (or 1 EUR / 1 GBP) that is released within 7 days.",
    "If an invoice is currently unpaid, click Retry payment after saving the new card; the balance is charged immediately.",
    "For security, Larkspur support will never ask for your full card number by email, chat or phone. If you have sent one in a ticket, tell the agent so it can be redacted.",
    "Cards issued outside your billing country may be declined by your bank for 3-D Secure reasons; approve the verification prompt in your banking app."],
  qa("billing_policy", ["how do I change the credit card on file, the old one expired",
                        "here is our new card number, can you update it for us",
                        "New company card, how do I swap it in larkspur?"],
     "Owners and billing admins replace the card in Settings > Billing > Payment method > Replace card; a temporary $1 authorization verifies it and is released within 7 days.",
     ["Open Settings > Billing > Payment method > Replace card and save the new card.", "If an invoice is unpaid, click Retry payment after saving.",
      "Never send the full card number to support; ask us to redact it if it was already sent."], ["Replace card", "7 days"]))
A("KB-022", "Failed payments and automatic retries (E-3301)", "billing", "2026-08-04T07:50:00Z", [
    "If a charge fails, you'll see error E-3301 (payment declined) in Settings > Billing, and every billing contact gets an email.",
    "We retry the payment automatically 3, 5 and 7 days after the first failure. You can also retry at any time with Retry payment.",
    "If the invoice is still unpaid 14 days after the first failure, the account is suspended: members can't sign in and shared links stop working until the balance is paid. Data is not deleted at this point.",
    "Common causes of E-3301: an expired card, insufficient funds, the bank blocking an international charge, or 3-D Secure not completed."],
  qa("billing_policy", ["Got an email our payment failed E-3301, what happens now? will we lose access?",
                        "payment declined on our subscription, how long before you shut us off",
                        "why was our payment declined E-3301, card is fine"],
     "E-3301 means the payment was declined; we retry automatically 3, 5 and 7 days after the first failure, and if the invoice is still unpaid 14 days after the first failure the account is suspended.",
     ["Check the card for expiry, funds, international blocks or an unfinished 3-D Secure prompt.", "Update the card if needed and click Retry payment in Settings > Billing.",
      "Pay before 14 days have passed since the first failure to avoid suspension."], ["E-3301", "14 days"]))
A("KB-023", "Paying by invoice or purchase order", "billing", "2026-06-16T13:00:00Z", [
    "Annual contracts of $3,000 or more can be paid by bank transfer against an invoice instead of by card. Ask your account manager or contact support to switch.",
    "Invoices are due net 30 from the invoice date. Bank details and the payment reference are printed on each invoice; always use the invoice number as the reference so the payment is matched.",
    "If your company needs a purchase order (PO) number on invoices, add it in Settings > Billing > Tax details before the invoice is issued.",
    "Invoices that are still unpaid 15 days after the due date trigger the same suspension process as failed card payments."],
  qa("billing_policy", ["Can a customer with an annual contract pay by bank transfer instead of card, and what are the payment terms?"],
     "Annual contracts of $3,000 or more can be paid by bank transfer against an invoice, due net 30 from the invoice date, using the invoice number as the payment reference.",
     ["Check that the annual contract value is at least $3,000.", "Switch the account to invoice payment via the account manager or support.",
      "Ask them to add any PO number in Settings > Billing > Tax details before the invoice is issued."], ["$3,000", "net 30"]))
A("KB-024", "Billing currencies and local prices", "billing", "2026-02-05T09:00:00Z", [
    "Larkspur bills in USD, EUR, GBP and AUD. Your currency is set from your billing country when the team first subscribes.",
    "Local prices are fixed, not converted daily. For example, Starter costs 6 EUR, 5 GBP or 9 AUD per user per month billed annually.",
    "The currency can only change at an annual renewal or, for monthly plans, at the start of a billing month, and only if you contact support at least 10 days before.",
    "Your card statement may show a foreign transaction fee from your bank if your card is in a different currency; Larkspur does not charge this fee."],
  qa("billing_policy", ["How much is Starter in British pounds, and can a customer switch currency in the middle of a contract?"],
     "Starter costs 5 GBP per user per month billed annually, and the currency can only change at an annual renewal (or the start of a billing month on monthly plans) if the customer contacts support at least 10 days before.",
     ["Confirm the customer's billing cycle and next renewal date.", "Ask them to contact support at least 10 days before that date to change currency.",
      "Explain that any foreign transaction fee comes from their bank, not Larkspur."], ["5 GBP", "10 days"]))
A("KB-025", "Promo codes and account credits", "billing", "2026-03-11T16:45:00Z", [
    "Promo codes are entered at checkout or in Settings > Billing > Redeem code. Only one promo code can be active on a team at a time, and codes cannot be combined with nonprofit or education discounts.",
    "Account credits (for example goodwill or SLA credits) are applied automatically to the next invoices until used up. Credits expire 12 months after they are issued and cannot be exchanged for cash or transferred to another team.",
    "You can see your credit balance and expiry dates in Settings > Billing > Credits."],
  qa("billing_policy", ["A customer received a goodwill credit last year. Does it expire, and can they have it paid out instead?"],
     "Account credits expire 12 months after they are issued and cannot be exchanged for cash or transferred to another team; the balance and expiry dates are shown in Settings > Billing > Credits.",
     ["Check the credit's issue date in Settings > Billing > Credits.", "Explain that credits are applied automatically to the next invoices.",
      "Decline the cash payout request politely."], ["12 months"]))
A("KB-026", "The billing admin role", "billing", "2026-01-09T10:30:00Z", [
    "The billing admin role lets someone manage payment methods, invoices, seats and plan changes without full admin rights. Billing admins can't see files or manage members.",
    "Owners assign the role in Admin Console > Members > Roles on Business and Enterprise, or in Settings > Team on Starter. A team can have up to 5 billing admins.",
    "Only the account owner can cancel the subscription or delete the team; billing admins can schedule downgrades but not cancellations."],
  qa("how_to", ["our finance guy needs to manage invoices but shouldn't see our files, what role do I give him?",
                "Can I let our bookkeeper handle payments without making her an admin?"],
     "Give them the billing admin role: it manages payment methods, invoices, seats and plan changes without access to files or members, and a team can have up to 5 billing admins.",
     ["Open Admin Console > Members > Roles (Settings > Team on Starter).", "Assign the billing admin role to the person.",
      "Explain that only the owner can cancel the subscription."], ["billing admin", "5 billing admins"]))
A("KB-027", "Why was my account suspended?", "account", "2026-07-22T08:30:00Z", [
    "A suspended team can't sign in, sync or use shared links. The account owner receives an email with the reason. There are three possible reasons.",
    "Unpaid balance: an invoice is still unpaid 14 days after the first failed payment (error E-3301). Acceptable Use Policy violation: for example distributing malware or infringing content. Security hold: we detected signs of account takeover and locked the team to protect it.",
    "Owners and billing admins of teams suspended for an unpaid balance can still sign in to Settings > Billing to pay. Security holds are lifted after the owner completes identity verification with support.",
    "Data in a suspended account is kept for 60 days from the suspension date."],
  qa("account_reactivation", ["why would my account be suspended? I can't log in and the page says account suspended",
                              "Our whole team got kicked out, message says suspended. What are the reasons this happens?"],
     "Accounts are suspended for an unpaid balance (still unpaid 14 days after the first failed payment), an Acceptable Use Policy violation, or a security hold, and data is kept for 60 days from the suspension date.",
     ["Check the suspension email sent to the account owner for the reason.", "For an unpaid balance, have the owner or a billing admin sign in to Settings > Billing and pay.",
      "For a security hold, have the owner complete identity verification with support."], ["60 days"]))
A("KB-028", "Reactivating a suspended account", "account", "2026-07-22T08:40:00Z", [
    "If your team was suspended for an unpaid balance, the account owner or a billing admin can reactivate it by paying the outstanding balance in Settings > Billing > Pay now, or through the payment link in the suspension email.",
    "Access is restored automatically within 1 hour of a successful payment. Desktop and mobile apps resume syncing on their own, and shared links start working again.",
    "If more than 60 days have passed since the suspension date, data may already be scheduled for deletion. Contact support immediately; reactivation is not guaranteed after that point.",
    "Teams suspended for an Acceptable Use Policy violation can't reactivate by paying. Submit an appeal to trust@larkspur.example; appeals are reviewed within 10 business days."],
  qa("account_reactivation", ["We paid the overdue invoice, how long until our team can log back in?",
                              "how do we reactivate our suspended account",
                              "account suspended for non payment, we want to pay now, how?"],
     "Pay the outstanding balance in Settings > Billing > Pay now or through the link in the suspension email, and access is restored automatically within 1 hour of a successful payment.",
     ["Have the account owner or a billing admin sign in to Settings > Billing > Pay now.", "Pay the outstanding balance.",
      "Wait up to 1 hour; apps resume syncing and shared links work again on their own."], ["within 1 hour"]),
  qa("account_reactivation", ["We were suspended for an acceptable use violation. Can we just pay something to get back in?",
                              "our account got suspended for AUP, how do we appeal"],
     "Teams suspended for an Acceptable Use Policy violation can't reactivate by paying; they must submit an appeal to trust@larkspur.example, and appeals are reviewed within 10 business days.",
     ["Ask the account owner to email an appeal to trust@larkspur.example.", "Include the team name and any context about the flagged content.",
      "Explain that the review takes up to 10 business days."], ["trust@larkspur.example", "10 business days"]))
A("KB-029", "Restoring a cancelled account", "account", "2026-05-13T12:15:00Z", [
    "When a subscription is cancelled, the team moves to a cancelled state at the end of the paid period. Files are kept for 90 days and can be restored by resubscribing.",
    "To restore, the former owner signs in at larkspur.example/restore and chooses a plan. Files, shared spaces, members and sharing settings come back as they were; shared links need to be re-enabled by their owners.",
    "After 90 days, the team and its files are permanently deleted and cannot be restored by support.",
    "A cancelled team can't be restored on the Free plan if it holds more than 10 GB."],
  qa("account_reactivation", ["A team cancelled their subscription two months ago. Can they still get their files back, and how?"],
     "Files of a cancelled team are kept for 90 days, so the former owner can restore everything by signing in at larkspur.example/restore and choosing a plan; shared links must be re-enabled by their owners.",
     ["Confirm the cancellation took effect less than 90 days ago.", "Ask the former owner to sign in at larkspur.example/restore and choose a plan.",
      "Remind them to re-enable shared links afterwards."], ["90 days", "larkspur.example/restore"]))
A("KB-030", "Account locked after failed sign-ins (E-1009)", "account", "2026-04-08T07:20:00Z", [
    "After 10 failed sign-in attempts within 15 minutes, Larkspur locks the account for 30 minutes and shows error E-1009. This protects against password-guessing attacks.",
    "Wait 30 minutes and try again, or reset your password; a successful reset unlocks the account immediately.",
    "On Business and Enterprise, admins can unlock a member straight away in Admin Console > Members > select the user > Unlock sign-in.",
    "If you see repeated lockouts you didn't cause, review Sign-in activity in Settings > Security and turn on two-step verification."],
  qa("account_reactivation", ["im locked out, error E-1009, tried my password a bunch of times",
                  "Account locked E-1009 and I have a client demo in 10 min!!",
                  "one of my team can't sign in, says E-1009, can I unlock her as admin?"],
     "E-1009 means the account is locked for 30 minutes after 10 failed sign-in attempts within 15 minutes; a successful password reset unlocks it immediately, and admins can unlock members right away.",
     ["Reset the password with Forgot password to unlock immediately, or wait 30 minutes.", "On Business or Enterprise, an admin can use Admin Console > Members > Unlock sign-in.",
      "If lockouts repeat unexpectedly, review Sign-in activity and turn on two-step verification."], ["E-1009", "30 minutes"]))
A("KB-031", "Changing the account owner", "account", "2026-06-24T15:35:00Z", [
    "Every team has exactly one account owner, who controls billing, cancellation and deletion. The current owner can transfer ownership to any existing admin in Settings > Team > Transfer ownership.",
    "The new owner must accept within 7 days; until then nothing changes. After the transfer, the previous owner becomes an admin.",
    "If the owner has left the company and can't be reached, another admin can request an ownership change through support. This requires identity and authority verification and usually takes 5 business days."],
  qa("account_reactivation", ["The account owner has left the company and nobody can reach him. How can another admin become the owner?"],
     "Another admin can request an ownership change through support; it requires identity and authority verification and usually takes 5 business days.",
     ["Ask an existing admin to request the ownership change through support.", "Collect the identity and authority verification documents.",
      "Set the expectation that the change usually takes 5 business days."], ["5 business days"]))
A("KB-032", "Resetting your password", "security", "2026-01-20T09:00:00Z", [
    "Click Forgot password on the sign-in page and enter your account email. We send a reset link that is valid for 60 minutes and can be used once.",
    "New passwords must be at least 12 characters and can't match any of your last 5 passwords.",
    "Resetting your password signs you out of all other browsers and devices, except Larkspur Sync desktop apps, which ask you to sign in again within 24 hours.",
    "If your team uses SSO, you can't reset your password in Larkspur; change it with your identity provider (for example Okta or Microsoft Entra ID)."],
  qa("security", ["reset link says expired?? I clicked it this morning",
                  "password reset link not working, says invalid or expired",
                  "Clicked the reset link twice and now it doesn't work"],
     "Password reset links are valid for 60 minutes and can be used only once, so request a new link from Forgot password on the sign-in page.",
     ["Click Forgot password on the sign-in page and enter the account email.", "Open the newest reset email within 60 minutes.",
      "Choose a password of at least 12 characters that isn't one of the last 5."], ["60 minutes", "12 characters"]),
  qa("security", ["We use Okta SSO, how do I reset my larkspur password?",
                  "forgot my password but our company logs in with Microsoft, where do I reset it"],
     "If your team uses SSO, you can't reset the password in Larkspur; change it with your identity provider, for example Okta or Microsoft Entra ID.",
     ["Use your company's identity provider password reset.", "Ask your IT team if you can't reset it yourself.",
      "Sign in to Larkspur again through SSO."], ["identity provider"]))
A("KB-033", "Password reset email not arriving", "security", "2026-02-17T11:30:00Z", [
    "Password reset emails are sent from no-reply@larkspur.example and usually arrive within 2 minutes. Corporate email filters can delay them by up to 15 minutes.",
    "You can request at most 3 reset emails per hour. Each new request invalidates the previous link, so always use the newest email.",
    "Check spam and quarantine folders, and ask your IT team to allowlist no-reply@larkspur.example. If your team uses SSO, no reset email is sent at all."],
  qa("security", ["A user requested several password reset emails and none arrived. What is the limit and which sender should IT allowlist?"],
     "Users can request at most 3 reset emails per hour, each new request invalidates the previous link, and IT should allowlist no-reply@larkspur.example.",
     ["Ask the user to check spam and quarantine folders.", "Have IT allowlist no-reply@larkspur.example.",
      "Tell the user to use only the newest reset email."], ["3 reset emails per hour", "no-reply@larkspur.example"]))
A("KB-034", "Setting up two-step verification", "security", "2026-03-04T10:00:00Z", [
    "Two-step verification (2FA) adds a second check at sign-in. Set it up in Settings > Security > Two-step verification.",
    "Supported methods: an authenticator app (TOTP, for example Google Authenticator or 1Password), a security key (FIDO2/WebAuthn), or SMS. SMS is not available in every country and is the least secure option.",
    "When you turn on 2FA you receive 10 backup codes. Each code works once, so store them somewhere safe. You can generate a new set at any time, which invalidates the old codes.",
    "You can register up to 5 security keys per account."],
  qa("security", ["how do i turn on 2fa and what are the backup codes for",
                  "Want to add two factor to my account, which methods do you support?",
                  "can I use a yubikey with larkspur? how many can I add"],
     "Turn on 2FA in Settings > Security > Two-step verification with an authenticator app, a security key or SMS; you receive 10 single-use backup codes, and up to 5 security keys can be registered.",
     ["Open Settings > Security > Two-step verification.", "Choose an authenticator app or security key (SMS is the least secure option).",
      "Store the 10 backup codes somewhere safe."], ["10 backup codes", "5 security keys"]))
A("KB-035", "Lost access to your 2FA device", "security", "2026-03-04T10:15:00Z", [
    "If you lost your phone or security key, sign in with one of your backup codes and then set up 2FA again on a new device.",
    "No backup codes? On Business and Enterprise, ask a team admin to reset your two-step verification from Admin Console > Members; you'll set it up again at your next sign-in.",
    "Account owners, and users on Free or Starter, must go through identity verification with support. Verification usually takes 2 business days. Support never disables 2FA based on an email request alone."],
  qa("security", ["lost my phone with the authenticator on it, can't get in. we're on business",
                  "New phone, old one wiped, authenticator codes gone. Help!",
                  "I can't sign in because my 2FA app was on my old phone"],
     "Sign in with a backup code if you have one; otherwise, on Business a team admin can reset your two-step verification from Admin Console > Members so you can set it up again at next sign-in.",
     ["Try one of your backup codes first.", "If none are available, ask a team admin to reset two-step verification in Admin Console > Members.",
      "Set up 2FA again on the new device at the next sign-in."], ["Admin Console > Members"]),
  qa("security", ["I'm the account owner and I lost both my phone and my backup codes. How do I get back in?",
                  "owner here, 2fa device gone and no backup codes, please just turn off 2fa"],
     "Account owners who lost their 2FA device and backup codes must complete identity verification with support, which usually takes 2 business days; support never disables 2FA on an email request alone.",
     ["Start the identity verification process instead of disabling 2FA.", "Send the secure upload link for a government ID, which expires after 72 hours.",
      "Ask for one billing factor and tell the owner a decision usually comes within 2 business days."], ["2 business days"], ["POL-013"]))
A("KB-036", "2FA codes rejected (E-1204)", "security", "2026-08-11T09:55:00Z", [
    "Error E-1204 means the 6-digit code from your authenticator app was not accepted. The most common cause is the phone's clock being off by more than 30 seconds.",
    "Fix: turn on automatic date and time on the phone. In Google Authenticator for Android you can also use Settings > Time correction for codes.",
    "After 5 rejected codes in a row, 2FA sign-in pauses for 15 minutes. Backup codes still work during the pause."],
  qa("security", ["A user keeps getting E-1204 when typing the code from their authenticator app. What is the likely cause?"],
     "E-1204 means the authenticator code was rejected, most often because the phone's clock is off by more than 30 seconds; after 5 rejected codes, 2FA sign-in pauses for 15 minutes.",
     ["Ask the user to turn on automatic date and time on the phone.", "On Android, use Time correction for codes in Google Authenticator.",
      "If sign-in is paused, use a backup code or wait 15 minutes."], ["E-1204", "30 seconds"]))
A("KB-037", "Requiring 2FA for your whole team", "security", "2026-05-07T14:00:00Z", [
    "Admins on Business and Enterprise can require two-step verification for every member in Admin Console > Security > Two-step verification > Require for all members.",
    "Members without 2FA get a 7-day grace period with a reminder at every sign-in. After 7 days they can't access files until they set it up.",
    "You can restrict the allowed methods, for example security keys only. Teams using SSO usually enforce 2FA in the identity provider instead; Larkspur's requirement then applies only to admins who sign in with a password."],
  qa("security", ["how do I force everyone on my team to use 2fa, and what happens to people who haven't set it up",
                  "Our insurer wants mandatory MFA for all staff. Can larkspur enforce it?"],
     "Admins on Business and Enterprise can require 2FA in Admin Console > Security > Two-step verification; members without it get a 7-day grace period, after which they can't access files until they set it up.",
     ["Open Admin Console > Security > Two-step verification > Require for all members.", "Optionally restrict methods, for example to security keys only.",
      "Tell members they have a 7-day grace period to set it up."], ["7-day grace period"]))
A("KB-038", "Single sign-on (SSO) overview", "sso", "2026-02-26T10:10:00Z", [
    "Larkspur supports single sign-on with any SAML 2.0 identity provider, including Okta, Microsoft Entra ID, Google Workspace, OneLogin and JumpCloud.",
    "SSO is included with Enterprise. Business teams can add it for $3 per user per month. SSO is not available on Free or Starter.",
    "Before you start, verify at least one email domain (see Verifying your domain). You can turn on SSO in Test mode first, so only admins are redirected to the identity provider, and then switch to Required.",
    "When SSO is Required, passwords stop working for members; owners and admins keep an emergency bypass sign-in at app.larkspur.example/login?sso=bypass."],
  qa("security", ["Is SSO included in Business? we use Google Workspace as our IdP",
                  "how much is single sign on for a business team",
                  "Can we use SSO on the starter plan?"],
     "SSO is included with Enterprise and is available to Business teams as an add-on for $3 per user per month; it is not available on Free or Starter, and any SAML 2.0 identity provider such as Google Workspace is supported.",
     ["Verify at least one email domain first.", "Add the SSO add-on and configure the identity provider.",
      "Turn on SSO in Test mode before switching to Required."], ["$3 per user per month"]))
A("KB-039", "Configuring SSO with Okta", "sso", "2026-02-26T10:30:00Z", [
    "In Okta, go to Applications > Browse App Catalog and add Larkspur Cloud. If you prefer a custom SAML app, use these values: Single sign-on URL (ACS) https://sso.larkspur.example/saml/acs and Audience URI https://sso.larkspur.example/saml/metadata.",
    "Set the Name ID format to EmailAddress and map the attributes firstName, lastName and email. Assign the users or groups who should use Larkspur.",
    "In Larkspur, open Admin Console > Security > SSO, paste the Okta metadata URL and click Save. Test with an admin account in Test mode before switching to Required.",
    "If you rotate the Okta signing certificate, upload the new certificate in Larkspur as well, or sign-ins fail with E-4012."],
  qa("how_to", ["setting up okta for larkspur, what's the ACS url and name id format?",
                "Which values do I put in a custom SAML app in Okta for Larkspur?"],
     "Use the ACS URL https://sso.larkspur.example/saml/acs with the Audience URI https://sso.larkspur.example/saml/metadata, and set the Name ID format to EmailAddress.",
     ["Add Larkspur Cloud from the Okta App Catalog or create a custom SAML app with those values.", "Map firstName, lastName and email, and assign users or groups.",
      "Paste the Okta metadata URL in Admin Console > Security > SSO and test in Test mode."], ["https://sso.larkspur.example/saml/acs", "EmailAddress"]))
A("KB-040", "Configuring SSO with Microsoft Entra ID", "sso", "2026-09-15T10:00:00Z", [
    "In the Microsoft Entra admin center, open Enterprise applications > New application and add Larkspur Cloud from the gallery.",
    "Under Single sign-on choose SAML. Identifier (Entity ID): https://sso.larkspur.example/saml/metadata. Reply URL: https://sso.larkspur.example/saml/acs. The user identifier should be user.mail, not user.userprincipalname, unless both are identical in your tenant.",
    "Download the Federation Metadata XML and upload it in Larkspur at Admin Console > Security > SSO. Then assign users and groups in Entra; unassigned users get E-4019.",
    "Entra SAML signing certificates expire after 3 years by default. Entra emails the notification address 60 days before expiry; upload the new certificate in Larkspur when you rotate it."],
  qa("how_to", ["For Entra ID SSO, which user identifier attribute should be used, and how long do the SAML signing certificates last?"],
     "Use user.mail as the user identifier (not user.userprincipalname unless both are identical), and Entra SAML signing certificates expire after 3 years by default, so upload the new certificate in Larkspur when you rotate it.",
     ["Set the user identifier to user.mail in the Entra SAML configuration.", "Upload the Federation Metadata XML in Admin Console > Security > SSO.",
      "Plan certificate rotation when Entra sends its 60-day expiry notice."], ["user.mail", "3 years"]))
A("KB-041", "SSO error E-4012: SAML signature invalid", "sso", "2026-06-23T09:00:00Z", [
    "E-4012 (SAML signature invalid) means the SAML response from your identity provider was signed with a certificate that doesn't match the one saved in Larkspur. It almost always follows a certificate rotation in the identity provider.",
    "Fix: an owner or admin signs in with the emergency bypass at app.larkspur.example/login?sso=bypass, opens Admin Console > Security > SSO, and uploads the new certificate or refreshes the metadata URL.",
    "Changes apply within 5 minutes. If every member is affected and you can't reach an admin, treat it as an urgent support case."],
  qa("troubleshooting", ["Nobody can log in via SSO, everyone gets E-4012 since our IT rotated certificates",
                         "E-4012 on SSO login after we renewed the cert in our IdP",
                         "SAML signature invalid error for all staff this morning"],
     "E-4012 means the SAML response is signed with a certificate that doesn't match the one saved in Larkspur, usually after a certificate rotation; an admin must upload the new certificate, and the change applies within 5 minutes.",
     ["Have an owner or admin sign in via app.larkspur.example/login?sso=bypass.", "Open Admin Console > Security > SSO and upload the new certificate or refresh the metadata URL.",
      "Ask members to retry after 5 minutes."], ["E-4012", "5 minutes"]))
A("KB-042", "SSO error E-4019: user not assigned", "sso", "2026-06-23T09:20:00Z", [
    "E-4019 (user not assigned) appears when someone signs in through SSO but the identity provider hasn't assigned them to the Larkspur Cloud application, or they aren't a member of the Larkspur team.",
    "Fix it in the identity provider by assigning the user, or one of their groups, to the Larkspur app. If just-in-time provisioning is turned on in Admin Console > Security > SSO, the Larkspur account is then created at first sign-in and uses a free seat if one is available.",
    "If no seats are free, the sign-in fails with E-4019 again and admins get an email asking them to add seats."],
  qa("troubleshooting", ["A new hire gets E-4019 when signing in through SSO. What should the admin check?"],
     "E-4019 means the user isn't assigned to the Larkspur Cloud application in the identity provider or isn't a team member; assign them in the IdP, and with just-in-time provisioning the account is created at first sign-in if a free seat is available.",
     ["Assign the user or one of their groups to the Larkspur app in the identity provider.", "Check whether just-in-time provisioning is on in Admin Console > Security > SSO.",
      "Make sure a free seat is available, or add seats."], ["E-4019", "just-in-time provisioning"]))
A("KB-043", "Verifying your domain (E-4030)", "sso", "2026-01-30T12:45:00Z", [
    "Domain verification proves your organization owns an email domain. It's required for SSO and for automatically adding new users from your domain.",
    "In Admin Console > Settings > Domains, add the domain and copy the TXT record value, which looks like larkspur-verification=8f2c1d. Add it to your DNS and click Verify.",
    "DNS changes can take up to 72 hours to propagate. If you try to enable SSO for an unverified domain you'll see E-4030. A team can verify up to 50 domains."],
  qa("security", ["trying to turn on SSO and it says E-4030",
                  "How do we verify our domain for SSO? added TXT record yesterday and still not verified"],
     "E-4030 means the domain isn't verified yet: add the TXT record from Admin Console > Settings > Domains to your DNS and click Verify; DNS changes can take up to 72 hours to propagate.",
     ["Copy the TXT record from Admin Console > Settings > Domains.", "Add it to your DNS and click Verify.",
      "If verification fails, wait up to 72 hours for DNS propagation and try again."], ["E-4030", "72 hours"]))
A("KB-044", "SCIM user provisioning", "sso", "2026-07-29T11:05:00Z", [
    "SCIM 2.0 provisioning is available on Enterprise. It lets your identity provider create, update and deactivate Larkspur users and groups automatically.",
    "Generate a SCIM token in Admin Console > Security > Provisioning. The base URL is https://api.larkspur.example/scim/v2. Tokens are valid for 1 year, and admins get a reminder 14 days before expiry.",
    "When a user is deprovisioned, their Larkspur account is deactivated immediately, their sessions end, and their files are kept for 90 days for transfer.",
    "Group push syncs identity provider groups to Larkspur groups, which can then be added to shared spaces."],
  qa("security", ["How long is a SCIM token valid, and what happens to a deprovisioned user's files?"],
     "SCIM tokens are valid for 1 year, with a reminder 14 days before expiry, and deprovisioned users are deactivated immediately while their files are kept for 90 days for transfer.",
     ["Check the token's expiry in Admin Console > Security > Provisioning.", "Generate a new token before the old one expires.",
      "Transfer a deprovisioned user's files within 90 days."], ["1 year", "90 days"]))

# Sync error articles share one layout: symptom, cause, numbered fix, note.
SYNC_ERRORS = [
    ("KB-045", "E-5001", "path too long", "2026-05-12T08:30:00Z",
     "Larkspur Sync shows E-5001 next to a file and the file never uploads. This only happens on Windows.",
     "Windows limits the full path of a file, including every folder name, to 260 characters unless long paths are enabled. Deeply nested folders copied from network shares are the usual culprit.",
     ["Shorten folder or file names so the full path is under 260 characters.",
      "Or move the Larkspur folder closer to the drive root, for example C:\\Larkspur, in Preferences > Sync > Move folder.",
      "Or ask IT to enable long paths in Windows (LongPathsEnabled); Larkspur Sync 4.7 and later honours this setting."],
     "Files with E-5001 are still safe on the computer; they just aren't uploaded until the path is shorter.",
     qa("troubleshooting", ["Some files on my Windows PC never upload and show E-5001",
                            "E-5001 on a bunch of files in deep folders, windows 11",
                            "why does sync skip files with error E-5001?"],
        "E-5001 means the file's full path is longer than 260 characters, which Windows doesn't allow unless long paths are enabled; the files stay safe on the computer but aren't uploaded.",
        ["Shorten folder or file names so the full path is under 260 characters.",
         "Or move the Larkspur folder closer to the drive root in Preferences > Sync > Move folder.",
         "Alternatively ask IT to enable long paths in Windows, which Larkspur Sync 4.7 and later honours."], ["E-5001", "260 characters"])),
    ("KB-046", "E-5003", "file in use", "2026-05-12T08:45:00Z",
     "A file shows E-5003 and the Larkspur icon says that 1 file can't sync.",
     "Another program has the file open with an exclusive lock. Outlook data files (.pst), database files and open Office documents on Windows are the most common examples.",
     ["Save and close the file in the other program.",
      "Wait for the next automatic retry; Larkspur Sync retries locked files every 10 minutes.",
      "Don't keep Outlook .pst files or live database files in the Larkspur folder; sync a backup copy instead."],
     "If the error continues after the program is closed, restart the computer to release the lock.",
     qa("troubleshooting", ["outlook pst file in my larkspur folder always shows E-5003",
                            "Getting E-5003 file in use on an excel file nobody has open",
                            "what does E-5003 mean on the desktop app"],
        "E-5003 means another program has the file open with an exclusive lock; Larkspur Sync retries locked files every 10 minutes once the file is closed.",
        ["Save and close the file in the other program, or restart the computer to release the lock.",
         "Wait for the next automatic retry, which happens every 10 minutes.",
         "Move Outlook .pst files out of the Larkspur folder and sync a backup copy instead."], ["E-5003", "10 minutes"])),
    ("KB-047", "E-5010", "unsupported characters in file name", "2026-08-19T13:00:00Z",
     "A file created on a Mac or in the web app doesn't appear on Windows computers, and Larkspur Sync shows E-5010.",
     "Windows doesn't allow the characters < > : \" / \\ | ? * in file names, or names that end with a space or a period. The file exists in Larkspur but can't be written to the Windows disk.",
     ["Rename the file in the web app or on the Mac, removing the unsupported characters.",
      "On Larkspur Sync 4.8.0 or later, click Rename in the error list to fix the name from Windows directly.",
      "Wait for the renamed file to download."],
     "Names reserved by Windows, such as CON, PRN or NUL, also trigger E-5010.",
     qa("troubleshooting", ["A file whose name contains a colon, created on a Mac, won't download to a Windows laptop and shows E-5010. How is it fixed?"],
        "E-5010 means the name contains characters Windows doesn't allow, such as : or ?, so the file must be renamed in the web app or on the Mac; Larkspur Sync 4.8.0 or later also offers a Rename button in the error list.",
        ["Rename the file in the web app or on the Mac without the unsupported characters.",
         "Or click Rename in the Larkspur Sync error list on Windows.",
         "Wait for the renamed file to download."], ["E-5010", "4.8.0"])),
    ("KB-048", "E-5104", "proxy authentication required", "2026-08-19T13:20:00Z",
     "Larkspur Sync says Can't connect and shows E-5104, while the web app works fine in the browser.",
     "Your network sends traffic through a proxy that requires authentication, and Larkspur Sync doesn't have the proxy credentials.",
     ["Open Preferences > Network > Proxy.",
      "Choose Auto-detect, or choose Manual and enter the proxy address, username and password.",
      "Ask IT to allow *.larkspur.example on port 443 without TLS inspection."],
     "Larkspur Sync supports Basic and NTLM proxy authentication. Kerberos-only proxies are not supported; ask IT for an exception.",
     qa("troubleshooting", ["Desktop sync fails with E-5104 behind the corporate proxy. Which proxy authentication methods does Larkspur Sync support?"],
        "E-5104 means the proxy requires authentication; Larkspur Sync supports Basic and NTLM proxy authentication (not Kerberos-only proxies), configured in Preferences > Network > Proxy.",
        ["Open Preferences > Network > Proxy and enter the proxy address and credentials.",
         "Ask IT to allow *.larkspur.example on port 443 without TLS inspection.",
         "If the proxy only supports Kerberos, ask IT for an exception."], ["E-5104", "Basic and NTLM"])),
    ("KB-049", "E-5200", "local disk full", "2026-04-29T10:05:00Z",
     "Downloads stop and Larkspur Sync shows E-5200.",
     "The drive that holds the Larkspur folder has less than 1 GB of free space. Sync pauses downloads to avoid filling the disk completely; uploads continue.",
     ["Free up space on the drive, for example by emptying the Recycle Bin or Trash.",
      "Turn on Files On-Demand and make large folders online-only.",
      "Or move the Larkspur folder to a bigger drive in Preferences > Sync > Move folder."],
     "Downloads resume automatically when at least 1 GB is free.",
     qa("troubleshooting", ["my laptop ssd is almost full and larkspur stopped downloading, error E-5200",
                            "E-5200 on my mac, what does it mean",
                            "desktop app stopped pulling down new files, says E-5200"],
        "E-5200 means the drive holding the Larkspur folder has less than 1 GB free, so Larkspur Sync pauses downloads (uploads continue) until at least 1 GB is free.",
        ["Free up space on the drive, for example by emptying the Recycle Bin or Trash.",
         "Make large folders online-only with Files On-Demand.",
         "Or move the Larkspur folder to a bigger drive in Preferences > Sync > Move folder."], ["E-5200", "1 GB"])),
]
for _id, _code, _name, _upd, _sym, _cause, _fix, _note, _qa in SYNC_ERRORS:
    A(_id, f"Sync error {_code}: {_name}", "sync", _upd, [
        f"Symptom: {_sym}", f"Cause: {_cause}",
        "How to fix it:\n" + "\n".join(f"{i}. {s}" for i, s in enumerate(_fix, 1)), _note], _qa)

A("KB-050", "What are conflicted copies?", "sync", "2026-03-30T09:25:00Z", [
    "A conflicted copy is created when two people edit the same file at the same time, or when a file is edited on a device that was offline while it changed elsewhere. Larkspur keeps both versions instead of overwriting one.",
    "The extra file is saved next to the original with a name like Budget (Alex's conflicted copy 2026-10-03).xlsx.",
    "To resolve it, open both files, merge the changes into the original and delete the conflicted copy. For Office files, real-time co-authoring in the web app avoids conflicts entirely.",
    "Admins can find every conflicted copy in the team with the search filter is:conflicted."],
  qa("troubleshooting", ["why do i keep getting files named conflicted copy??",
                         "We have dozens of 'conflicted copy' files in the shared drive, how do we clean this up",
                         "what is a conflicted copy and which one is the right file"],
     "A conflicted copy is created when two people edit the same file at the same time or a file is edited offline while it changed elsewhere, so Larkspur keeps both versions instead of overwriting one.",
     ["Find all conflicted copies with the search filter is:conflicted.", "Open both files, merge the changes into the original and delete the conflicted copy.",
      "Use real-time co-authoring in the web app for Office files to avoid new conflicts."], ["is:conflicted"]))
A("KB-051", "Sync stuck on \"Preparing changes\"", "sync", "2026-10-16T08:10:00Z", [
    "Larkspur Sync shows Preparing changes while it scans the Larkspur folder. On first install or after moving a lot of files this can take a while: about 10 minutes per 100,000 files.",
    "If the status hasn't changed for more than 2 hours: pause and resume sync from the menu bar or system tray icon; make sure you are on version 4.8.2 or later; then rebuild the sync index in Preferences > Advanced > Rebuild index.",
    "Rebuilding doesn't re-download files; it re-checks them. If the problem continues, send logs from Help > Send diagnostics and include the diagnostic ID (it starts with DX-) in your ticket."],
  qa("troubleshooting", ["desktop app stuck on preparing changes since yesterday",
                         "Larkspur Sync has said Preparing changes for 5 hours, is it broken?",
                         "sync never finishes preparing, what can I do"],
     "If Larkspur Sync has shown Preparing changes for more than 2 hours, pause and resume sync, make sure you're on version 4.8.2 or later, and rebuild the sync index in Preferences > Advanced > Rebuild index.",
     ["Pause and resume sync from the menu bar or system tray icon.", "Update Larkspur Sync to version 4.8.2 or later.",
      "Rebuild the index in Preferences > Advanced > Rebuild index.", "If it continues, send logs from Help > Send diagnostics and share the DX- diagnostic ID."],
     ["2 hours", "4.8.2"]))
A("KB-052", "Files ignored by Larkspur Sync", "sync", "2026-09-01T15:40:00Z", [
    "Some files are never synced because they are temporary or system files: desktop.ini, Thumbs.db, .DS_Store, Office lock files that start with ~$, and files ending in .tmp.",
    "Symbolic links are not followed; the link itself is skipped. Files larger than 250 GB are also skipped.",
    "Since version 4.6.0 you can add a .larkignore file to any folder to exclude your own patterns, for example node_modules/ or *.log. Ignored files stay on your computer but are not uploaded."],
  qa("troubleshooting", ["Can developers exclude their own folders, such as node_modules, from desktop syncing?"],
     "Yes, since version 4.6.0 a .larkignore file in any folder excludes custom patterns such as node_modules/, and ignored files stay on the computer without being uploaded.",
     ["Create a .larkignore file in the folder to exclude from.", "Add one pattern per line, for example node_modules/ or *.log.",
      "Make sure the computer runs Larkspur Sync 4.6.0 or later."], [".larkignore", "4.6.0"]))
A("KB-053", "LAN sync", "sync", "2026-01-12T10:00:00Z", [
    "LAN sync speeds up syncing by downloading new files from other computers on the same local network instead of from Larkspur servers. It's on by default on Business and Enterprise.",
    "It uses port 17600 (TCP and UDP) and only exchanges encrypted blocks between computers signed in to the same team.",
    "Turn it off in Preferences > Network > LAN sync if your network policy forbids peer-to-peer traffic. Admins can disable it for everyone in Admin Console > Devices."])
# Deliberately bad record #2: a stale draft that reuses KB-053's id (written right after it).
KB_DUPLICATE = {"id": "KB-053", "title": "LAN sync (draft)", "category": "sync", "updated_at": "2025-11-03T10:00:00Z",
                "text": "DRAFT - do not publish. LAN sync lets computers on the same office network share file blocks with each other. "
                        "It listens on port 17500 and is off by default. Turn it on in Preferences > Network. "
                        "TODO: confirm port number and default setting with the desktop team before publishing.", "qa": []}
A("KB-054", "Larkspur Sync system requirements", "desktop", "2026-10-14T12:00:00Z", [
    "Larkspur Sync 4.8.2 is the current version of the desktop app. It runs on Windows 10 (22H2) and Windows 11, 64-bit only; macOS 13 Ventura or later on Apple silicon and Intel; and Ubuntu 22.04 LTS or Fedora 39 and later (command-line client only).",
    "Minimum hardware: 4 GB of RAM and 1 GB of free disk space besides your synced files. The Larkspur folder must be on an internal drive or a permanently attached drive formatted as NTFS, APFS or ext4; network drives are not supported.",
    "Files On-Demand requires Windows 10 1809 or later, or macOS 13 or later."])
A("KB-055", "Updating Larkspur Sync", "desktop", "2026-09-23T10:50:00Z", [
    "Larkspur Sync updates itself in the background and installs the update the next time the app restarts. Admins on Business and Enterprise can delay updates by up to 30 days in Admin Console > Devices > Update policy.",
    "Versions older than 4.5.0 stop syncing on 2026-12-01 and show E-5900 (client too old). Update by downloading the latest installer from larkspur.example/download; your files and settings are kept.",
    "To check your version, click the Larkspur icon in the menu bar or system tray and choose About."],
  qa("troubleshooting", ["some of our laptops show E-5900 client too old",
                         "Will old versions of the desktop app stop working? IT hasn't updated some PCs in ages",
                         "E-5900 in larkspur sync, what to do"],
     "E-5900 means the Larkspur Sync version is older than 4.5.0, and those versions stop syncing on 2026-12-01; install the latest version from larkspur.example/download, which keeps files and settings.",
     ["Check the version via the Larkspur icon > About.", "Download the latest installer from larkspur.example/download and install it.",
      "On Business or Enterprise, review the update policy in Admin Console > Devices > Update policy."], ["E-5900", "4.5.0"]))
A("KB-056", "Files On-Demand", "desktop", "2026-07-15T09:35:00Z", [
    "Files On-Demand shows all your Larkspur files in File Explorer or Finder without downloading them. Online-only files use no local disk space and download when you open them.",
    "Right-click a file or folder and choose Make available offline to keep a local copy, or Make online-only to free space. Offline files show a green check; online-only files show a cloud icon.",
    "Files On-Demand needs Larkspur Sync 4.6 or later on Windows 10 1809+ or macOS 13+. On macOS it uses the File Provider framework, so the Larkspur folder lives under ~/Library/CloudStorage."],
  qa("how_to", ["With Files On-Demand on a Mac, where does the Larkspur folder live, and which app version is needed?"],
     "On macOS, Files On-Demand uses the File Provider framework, so the Larkspur folder lives under ~/Library/CloudStorage, and it needs Larkspur Sync 4.6 or later on macOS 13+.",
     ["Check that the Mac runs macOS 13 or later and Larkspur Sync 4.6 or later.", "Open the Larkspur folder under ~/Library/CloudStorage in Finder.",
      "Use Make available offline or Make online-only to control local copies."], ["~/Library/CloudStorage", "4.6"]))
A("KB-057", "Camera uploads on iOS and Android", "mobile", "2026-06-09T14:15:00Z", [
    "Camera uploads back up photos and videos from your phone to the Camera Uploads folder. Turn it on in the mobile app under Account > Camera uploads.",
    "By default uploads only run on Wi-Fi and while the phone is charging or above 30% battery. iPhone HEIC photos can be kept as HEIC or converted to JPG.",
    "If Low Power Mode (iOS) or Battery Saver (Android) is on, uploads pause and the app shows E-6002. They resume automatically when the mode is turned off.",
    "Camera uploads count toward your storage. On iOS, don't force-close the app: that stops background uploads."],
  qa("troubleshooting", ["my photos stopped uploading from iphone, app shows E-6002",
                         "camera upload paused on android, says E-6002",
                         "Why are my pictures only uploading sometimes? I'm not always on wifi"],
     "E-6002 means camera uploads are paused because Low Power Mode or Battery Saver is on; uploads also only run on Wi-Fi and while charging or above 30% battery by default, and resume automatically.",
     ["Turn off Low Power Mode (iOS) or Battery Saver (Android).", "Connect to Wi-Fi and charge the phone or keep it above 30% battery.",
      "On iOS, don't force-close the app so background uploads keep running."], ["E-6002", "30% battery"]))
A("KB-058", "Offline files on mobile (E-6110)", "mobile", "2026-06-09T14:30:00Z", [
    "Mark files or folders as Available offline in the mobile app to open them without a connection. Offline folders are available on Business and Enterprise; Free and Starter can mark individual files only.",
    "Each device can store up to 20 GB of offline files. When you reach the limit, the app shows E-6110 and won't download more until you remove some offline files.",
    "Offline files update automatically when the phone is on Wi-Fi. Signing out removes all offline files from the device."],
  qa("troubleshooting", ["A Starter user wants a whole folder offline on their phone and now sees E-6110. What are the rules?"],
     "Offline folders are only available on Business and Enterprise, so a Starter user can mark individual files only, and E-6110 means the device reached its 20 GB offline limit, so some offline files must be removed.",
     ["Explain that Starter supports offline files but not offline folders.", "Remove some offline files to get below 20 GB on the device.",
      "Mark only the individual files needed offline."], ["E-6110", "20 GB"]))
A("KB-059", "Mobile app crashes on launch", "mobile", "2026-10-20T10:00:00Z", [
    "The Larkspur mobile app supports iOS 16 or later and Android 10 or later. The current version is 7.3.1.",
    "Version 7.3.0 could crash on launch on some Android 14 devices; this is fixed in 7.3.1. Update from the App Store or Google Play first.",
    "If it still crashes: on Android, go to Settings > Apps > Larkspur > Storage > Clear cache; on iOS, delete and reinstall the app. Reinstalling removes offline files, which you'll need to mark again.",
    "If the crash continues, send the crash ID shown in Help > Report a problem to support."],
  qa("troubleshooting", ["android app closes immediately when I open it, galaxy s23 android 14",
                         "Larkspur app keeps crashing on startup on my Pixel",
                         "app crashes right after the splash screen, already restarted phone"],
     "Version 7.3.0 could crash on launch on some Android 14 devices and this is fixed in 7.3.1, so update from Google Play first.",
     ["Update the app to 7.3.1 from Google Play.", "If it still crashes, clear the cache in Settings > Apps > Larkspur > Storage > Clear cache.",
      "If the problem continues, send the crash ID from Help > Report a problem."], ["7.3.1"]))
A("KB-060", "Signing out of a lost or stolen device", "security", "2026-04-16T12:00:00Z", [
    "If a phone or laptop with Larkspur is lost or stolen, sign in on the web and open Settings > Security > Devices. Choose the device and click Sign out and wipe.",
    "The device is signed out immediately. The wipe deletes the Larkspur folder or cached files the next time the device connects to the internet; files in your account are not affected.",
    "On Business and Enterprise, admins can wipe any member's device from Admin Console > Devices. Every wipe is recorded in the audit log.",
    "Change your password afterwards if the device was unlocked when it was lost."],
  qa("security", ["my laptop got stolen at the airport, it has our whole larkspur folder synced",
                  "Employee lost their phone with the larkspur app, can I wipe it remotely?",
                  "Phone stolen. How do I make sure nobody can get into my files?"],
     "Use Sign out and wipe in Settings > Security > Devices: the device is signed out immediately and its Larkspur files are deleted the next time it connects to the internet, while files in the account are not affected.",
     ["Sign in on the web and open Settings > Security > Devices (admins can use Admin Console > Devices).", "Select the device and click Sign out and wipe.",
      "Change the password if the device was unlocked when it was lost."], ["Sign out and wipe"]))
A("KB-061", "Sharing roles explained", "sharing", "2026-02-09T10:45:00Z", [
    "Files and folders can be shared with four roles: Viewer (view and download), Commenter (view and comment), Editor (edit, upload, delete and reshare) and Owner (everything, including changing the owner).",
    "Shared spaces also have the Space Manager role, which can add and remove members and change space settings. A space can have up to 10 Space Managers.",
    "Editors can reshare by default. To stop that, the owner opens Share > Settings and turns on Only owners can share. On Business and Enterprise, Viewers can also be prevented from downloading."],
  qa("how_to", ["can I stop editors from resharing my folder with other people?",
                "People I gave edit access keep sharing the folder further. Can I prevent that?",
                "difference between commenter and viewer in larkspur?"],
     "Editors can reshare by default, but the owner can turn on Only owners can share in Share > Settings; Viewers can view and download, while Commenters can also comment.",
     ["Open the folder's Share > Settings.", "Turn on Only owners can share.",
      "Review who has Editor access and downgrade anyone who only needs to view."], ["Only owners can share"]))
A("KB-062", "Shared links: expiry and passwords", "sharing", "2026-05-21T13:30:00Z", [
    "Anyone with a shared link can open the file or folder, so protect sensitive links. On Business and Enterprise you can set a password and an expiry date on each link.",
    "Admins can set a default expiry for new links in Admin Console > Sharing > Links, for example 30 days. The maximum expiry is 365 days.",
    "Each link shows how many times it was viewed and downloaded. To stop access, open Share > Link settings and click Disable link; access stops immediately and the link can't be restored, so create a new one if needed.",
    "On Free and Starter, links don't expire and can't have passwords."],
  qa("security", ["can I put a password on a shared link? we're on starter",
                  "Need links that expire after a week for client deliveries, possible on our plan (Starter)?"],
     "Passwords and expiry dates on shared links are only available on Business and Enterprise; on Starter, links don't expire and can't have passwords.",
     ["Upgrade to Business if password-protected or expiring links are required.", "Until then, disable links you no longer need in Share > Link settings > Disable link.",
      "Share sensitive files with named people instead of links."], ["Business and Enterprise"]),
  qa("security", ["I sent a link to the wrong client, how do I kill it right now?",
                  "how to revoke a shared link immediately"],
     "Open Share > Link settings and click Disable link: access stops immediately, and a disabled link can't be restored, so create a new one if needed.",
     ["Open the file's Share > Link settings.", "Click Disable link.", "Create a new link for the correct recipient if needed."], ["Disable link"]))
A("KB-063", "Restricting external sharing", "sharing", "2026-09-04T11:20:00Z", [
    "Admins on Business and Enterprise control sharing outside the team in Admin Console > Sharing > External sharing. The options are Allowed, Allowed only with approved domains, or Off.",
    "With approved domains, members can share only with email addresses on the allowlist, which holds up to 200 domains.",
    "When you turn external sharing Off, existing external shares and links lose access within 15 minutes. Members see a message if they try to share outside the team.",
    "The audit log records every external share, so you can review them before changing the setting."],
  qa("security", ["If an admin switches external sharing off, what happens to links that were already sent to outside partners?"],
     "When external sharing is turned Off in Admin Console > Sharing > External sharing, existing external shares and links lose access within 15 minutes.",
     ["Review existing external shares in the audit log before changing the setting.", "Consider Allowed only with approved domains to keep trusted partners.",
      "Warn members that partners lose access within 15 minutes."], ["15 minutes"]))
A("KB-064", "Guest accounts", "sharing", "2026-03-16T16:00:00Z", [
    "Guests are people outside your team who collaborate in specific shared spaces. They don't need a paid seat: Business teams can invite up to 5 guests per paid seat, and Enterprise teams up to 10.",
    "Guests can only see the spaces they're invited to, can't own files and can't create shared links. Their uploads count toward your team's storage.",
    "Guest accounts that haven't signed in for 90 days are removed automatically; their uploads stay in the space."],
  qa("how_to", ["How many guests can a Business team invite, and does a guest take up a seat?"],
     "Guests don't need a paid seat, and Business teams can invite up to 5 guests per paid seat (Enterprise teams up to 10).",
     ["Invite the guest to the specific shared space.", "Explain that guests can't own files or create shared links.",
      "Note that guests inactive for 90 days are removed automatically."], ["5 guests per paid seat"]))
A("KB-065", "File requests", "sharing", "2026-07-02T09:15:00Z", [
    "File requests let you collect files from anyone, even people without a Larkspur account. Create one from New > File request, choose a destination folder and optionally set a deadline.",
    "Uploaders only see their own uploads. Each file can be up to 50 GB, and one request can receive up to 5,000 files.",
    "File requests are available on Starter, Business and Enterprise. On Business and Enterprise you can require uploaders to verify their email address first."],
  qa("how_to", ["need clients to send us big video files, they don't have larkspur accounts",
                "Is there a way for people outside to upload files to us without an account?",
                "how big can files be in a file request"],
     "Use a file request from New > File request: anyone can upload without a Larkspur account, each file can be up to 50 GB, and one request can receive up to 5,000 files.",
     ["Create the request from New > File request and choose a destination folder.", "Optionally set a deadline and share the request link with the clients.",
      "On Business or Enterprise, require uploaders to verify their email address."], ["50 GB", "5,000 files"]))
A("KB-066", "Transferring file ownership", "sharing", "2026-02-02T14:50:00Z", [
    "The owner of a file or folder can make another team member the owner in Share > select the person > Make owner. The previous owner becomes an Editor.",
    "Ownership can only be transferred to members of the same team, not to guests or people in other teams. To move files to another team, share them with Editor access or download and re-upload them.",
    "When a member is removed, an admin chooses who receives their files; see Offboarding a user."],
  qa("how_to", ["can I transfer ownership of a folder to someone at a partner company?",
                "How do I make my colleague the owner of my project folder?"],
     "Ownership can only be transferred to members of the same team with Share > Make owner, not to guests or other teams; for outside partners, share with Editor access instead.",
     ["Open Share on the folder and select the team member.", "Click Make owner; you become an Editor.",
      "For people outside the team, share with Editor access or download and re-upload."], ["Make owner"]))
A("KB-067", "API authentication and tokens (E-7401)", "api", "2026-04-23T10:30:00Z", [
    "The Larkspur API v3 accepts personal access tokens and OAuth 2.0. Personal access tokens are created in Settings > Developer > Tokens and expire after 90 days.",
    "OAuth 2.0 access tokens last 1 hour; refresh tokens last 60 days and are rotated on every use.",
    "Requests with an expired or revoked token fail with HTTP 401 and error E-7401. Create a new token or refresh the OAuth token, then retry.",
    "Admins on Business and Enterprise can restrict which OAuth apps are allowed in Admin Console > Integrations."],
  qa("troubleshooting", ["our script was working for months and now every call returns 401 E-7401",
                         "API suddenly unauthorized, E-7401, token looks right",
                         "how long do personal access tokens last?"],
     "E-7401 means the token is expired or revoked; personal access tokens expire after 90 days, so create a new one in Settings > Developer > Tokens and retry.",
     ["Create a new personal access token in Settings > Developer > Tokens.", "Replace the token in the script and retry the request.",
      "For OAuth apps, refresh the access token, which lasts 1 hour."], ["E-7401", "90 days"]))
A("KB-068", "API rate limits (E-7429)", "api", "2026-04-23T10:45:00Z", [
    "API rate limits apply per team, across all tokens. Free: 60 requests per minute. Starter: 600 requests per minute. Business: 1,200 requests per minute. Enterprise: 6,000 requests per minute.",
    "When you exceed the limit the API returns HTTP 429 with error E-7429 and a Retry-After header in seconds. Wait at least that long before retrying, and use exponential backoff.",
    "Uploads and downloads of file content don't count toward the request limit but are limited to 20 parallel transfers per token.",
    "The X-RateLimit-Remaining header shows how many requests are left in the current minute."],
  qa("troubleshooting", ["getting 429s with E-7429 from the api on Business, what's our limit",
                         "Our nightly sync script hits rate limits. How many requests per minute can we do?",
                         "E-7429 errors when uploading metadata in bulk"],
     "Business teams can make 1,200 requests per minute across all tokens; above that the API returns HTTP 429 with E-7429 and a Retry-After header.",
     ["Read the Retry-After header and wait at least that long before retrying.", "Add exponential backoff to the script.",
      "Monitor X-RateLimit-Remaining to slow down before hitting the limit."], ["1,200 requests per minute", "E-7429"]))
A("KB-069", "Webhooks: delivery and retries", "api", "2026-08-26T12:40:00Z", [
    "Webhooks notify your server when files change. Register endpoints in Settings > Developer > Webhooks; each team can have up to 20 endpoints.",
    "Every delivery is signed with HMAC-SHA256 in the X-Larkspur-Signature header using your endpoint secret. Your endpoint must respond with a 2xx status within 10 seconds.",
    "Failed deliveries are retried 8 times over 24 hours with exponential backoff. If an endpoint fails for 3 consecutive days it is disabled and the team's admins are emailed."],
  qa("troubleshooting", ["How are failed webhook deliveries retried, and when does an endpoint get switched off?"],
     "Failed webhook deliveries are retried 8 times over 24 hours with exponential backoff, and an endpoint that fails for 3 consecutive days is disabled and the team's admins are emailed.",
     ["Make sure the endpoint responds with a 2xx status within 10 seconds.", "Check the X-Larkspur-Signature verification if deliveries are rejected.",
      "Re-enable the endpoint in Settings > Developer > Webhooks once it is fixed."], ["8 times over 24 hours", "3 consecutive days"]))
A("KB-070", "Uploading large files through the API", "api", "2026-08-26T12:55:00Z", [
    "For files over 150 MB, use an upload session: POST /v3/uploads/sessions, send the file in chunks of up to 150 MB with PUT, and finish with POST /v3/uploads/sessions/{id}/commit.",
    "An upload session stays open for 48 hours. Chunks can be retried individually, so a network error doesn't mean starting over. The maximum file size is 250 GB.",
    "Chunks must be sent in order, and each PUT must include the Content-Range header; a wrong offset returns E-7416 with the expected offset."],
  qa("troubleshooting", ["What is the maximum chunk size for API upload sessions, and how long does a session stay open?"],
     "Upload sessions accept chunks of up to 150 MB and stay open for 48 hours, with a maximum file size of 250 GB.",
     ["Create a session with POST /v3/uploads/sessions.", "Send chunks of up to 150 MB in order with a Content-Range header.",
      "Commit the session within 48 hours."], ["150 MB", "48 hours"]))
A("KB-071", "API v2 deprecation", "api", "2026-01-06T09:00:00Z", [
    "API v2 is deprecated and will be switched off on 2027-03-31. Every v2 endpoint has an equivalent in v3; see the migration guide in the developer docs.",
    "Until the sunset date, v2 responses include a Deprecation header. From 2027-01-15, v2 requests are limited to 100 per minute per team.",
    "The most common migration change: numeric v2 file IDs are replaced by v3 string IDs starting with f_. Use GET /v3/files/lookup?legacy_id= to convert them."])

# Integration articles share one layout as well.
INTEGRATIONS = [
    ("KB-072", "Slack", "2026-03-09T11:00:00Z", "all paid plans",
     "Owners and admins connect it in Admin Console > Integrations > Slack (on Starter: Settings > Apps > Slack). A Slack workspace admin may need to approve the app.",
     ["Share files to channels with a live preview.", "Get notified in Slack about comments and file request uploads.", "Search Larkspur with the /larkspur command."],
     "Previews respect Larkspur permissions: people without access see only the file name. One Larkspur team can connect up to 3 Slack workspaces.",
     "If previews stop unfurling, disconnect and reconnect the integration; Slack revokes the token when the user who installed it is deactivated in Slack.",
     qa("troubleshooting", ["larkspur links in slack stopped showing previews",
                            "Slack previews of our larkspur files don't unfurl anymore since our IT guy left"],
        "Slack previews stop unfurling when Slack revokes the token, which happens when the user who installed the integration is deactivated in Slack; disconnect and reconnect the integration.",
        ["Open Admin Console > Integrations > Slack (Settings > Apps > Slack on Starter).", "Disconnect and reconnect the integration with an active Slack user.",
         "Ask a Slack workspace admin to approve the app if prompted."], ["disconnect and reconnect"])),
    ("KB-073", "Microsoft Teams", "2026-09-17T10:30:00Z", "Business and Enterprise",
     "Install the Larkspur app from the Teams app store. A Microsoft 365 admin must grant consent once for the organization.",
     ["Add a Larkspur tab to any channel; files in the tab live in a linked shared space.", "Share files in chats with permission-aware previews.", "Get comment notifications in the Teams activity feed."],
     "A Teams tab shows up to 500 files per folder; open larger folders in the web app.",
     "If the tab is blank, check that cookies for *.larkspur.example are allowed in the Teams desktop client.",
     qa("how_to", ["Which plans include the Microsoft Teams integration, and what does the customer's Microsoft 365 admin need to do?"],
        "The Microsoft Teams integration is available on Business and Enterprise, and after the Larkspur app is installed from the Teams app store a Microsoft 365 admin must grant consent once for the organization.",
        ["Confirm the team is on Business or Enterprise.", "Install the Larkspur app from the Teams app store.",
         "Ask the Microsoft 365 admin to grant organization-wide consent."], ["Business and Enterprise", "grant consent"])),
    ("KB-074", "Zoom", "2026-05-26T15:20:00Z", "all paid plans",
     "Connect in Settings > Apps > Zoom and sign in with the Zoom account that owns the recordings. A Zoom Pro account or higher with cloud recording turned on is required.",
     ["Cloud recordings are copied to Larkspur automatically within 2 hours after the meeting ends.", "Recordings are saved to Zoom Recordings/<meeting date> in the connecting user's files.", "Optionally delete the recording from Zoom after a successful copy."],
     "Recordings count toward your Larkspur storage. Transcripts and chat logs are copied too.",
     "If recordings stop arriving, check whether the Zoom connection has expired: Zoom connections must be renewed every 12 months.",
     qa("troubleshooting", ["zoom recordings aren't showing up in larkspur anymore",
                            "how long after a meeting does the zoom recording appear in Larkspur?",
                            "Our zoom to larkspur thing stopped copying recordings last week"],
        "Zoom cloud recordings are copied within 2 hours after the meeting ends; if they stop arriving, the Zoom connection has probably expired, because it must be renewed every 12 months.",
        ["Open Settings > Apps > Zoom and check the connection status.", "Reconnect with the Zoom account that owns the recordings.",
         "Make sure cloud recording is turned on in Zoom."], ["2 hours", "12 months"])),
    ("KB-075", "Salesforce", "2026-09-24T09:45:00Z", "Business and Enterprise",
     "Install the Larkspur for Salesforce package (version 3.2) from AppExchange, then connect it in Admin Console > Integrations > Salesforce. Salesforce Enterprise Edition or higher is required.",
     ["Attach Larkspur files to Accounts, Opportunities and Cases.", "A Larkspur folder is created automatically for each record.", "Preview files without leaving Salesforce."],
     "Files stay in Larkspur and keep Larkspur permissions; Salesforce users without access see a request-access button. Up to 2,000 records per day get new folders.",
     "If folders aren't created, check that the integration user still has a Larkspur seat.",
     qa("how_to", ["Which Salesforce edition does the Larkspur integration need, and where is the package installed from?"],
        "The integration needs Salesforce Enterprise Edition or higher, and the Larkspur for Salesforce package (version 3.2) is installed from AppExchange and then connected in Admin Console > Integrations > Salesforce.",
        ["Confirm the customer has Salesforce Enterprise Edition or higher.", "Install the package from AppExchange.",
         "Connect it in Admin Console > Integrations > Salesforce."], ["Enterprise Edition", "version 3.2"])),
    ("KB-076", "Zapier", "2026-04-06T13:10:00Z", "Starter, Business and Enterprise",
     "Search for Larkspur Cloud in Zapier and connect with a Larkspur account. Zapier uses OAuth, so no token needs to be copied.",
     ["Triggers: new file in folder, new comment, new file request upload.", "Actions: upload file, create folder, create shared link.", "Larkspur triggers are instant because they use webhooks."],
     "Zap actions count toward your team's API rate limit.",
     "If a Zap fails with E-7401, reconnect the Larkspur account in Zapier; the OAuth refresh token expires after 60 days without use.",
     qa("troubleshooting", ["our zap stopped working, error says E-7401",
                            "Zapier can't talk to larkspur anymore, auth error E-7401 in the zap history"],
        "A Zap failing with E-7401 needs the Larkspur account reconnected in Zapier, because the OAuth refresh token expires after 60 days without use.",
        ["Open the Zap's connected accounts in Zapier.", "Reconnect the Larkspur Cloud account.", "Turn the Zap back on and replay failed runs."], ["E-7401", "60 days"])),
    ("KB-077", "Jira Cloud", "2026-10-01T08:20:00Z", "Business and Enterprise",
     "Install Larkspur for Jira from the Atlassian Marketplace, then sign in with Larkspur from any issue. Only Jira Cloud is supported; Jira Data Center and Server are not.",
     ["Attach Larkspur files and folders to issues.", "Preview files in the issue view.", "Attached links keep Larkspur permissions."],
     "Up to 100 Larkspur files can be attached to one issue.",
     "If attachments show Access denied, ask the file owner to share the file with the viewer.",
     qa("how_to", ["Does the Jira integration work with Jira Data Center, and how many Larkspur files can be attached to a single issue?"],
        "No, only Jira Cloud is supported (not Data Center or Server), and up to 100 Larkspur files can be attached to one issue.",
        ["Confirm the customer uses Jira Cloud.", "Install Larkspur for Jira from the Atlassian Marketplace.",
         "Keep attachments to 100 files per issue."], ["Jira Cloud", "100 Larkspur files"])),
]
for _id, _name, _upd, _plans, _setup, _features, _limits, _trouble, _qa in INTEGRATIONS:
    A(_id, f"{_name} integration", "integrations", _upd, [
        f"The {_name} integration is available on {_plans}.", f"Setup: {_setup}",
        "What you can do:\n" + "\n".join(f"- {f}" for f in _features), f"Limits: {_limits}", f"Troubleshooting: {_trouble}"], _qa)

A("KB-078", "Exporting all your team's data (E-8003)", "data", "2026-06-18T10:00:00Z", [
    "Owners on Business and Enterprise can export all team data from Admin Console > Data > Export. On Free and Starter, each user exports their own files from Settings > Account > Export my data.",
    "Exports include files (current versions), the folder structure and a CSV of sharing permissions. Version history and comments are not included.",
    "Large exports are split into ZIP parts of up to 50 GB. You get an email when the export is ready, usually within 24 hours. Download links are valid for 7 days; after that they fail with E-8003 and you need to start a new export.",
    "Only one full export can run at a time."],
  qa("data_export", ["we want to download everything we have in larkspur, the whole company, how?",
                     "How do I export all our data before our contract ends?",
                     "can we get a full backup of our team's files as zip"],
     "Owners on Business and Enterprise can export all team data from Admin Console > Data > Export; large exports are split into ZIP parts of up to 50 GB and are usually ready within 24 hours.",
     ["Have the owner start the export in Admin Console > Data > Export.", "Wait for the email saying the export is ready.",
      "Download all ZIP parts within 7 days."], ["50 GB", "24 hours"]),
  qa("data_export", ["export download link gives E-8003",
                     "The export links from last week don't work anymore, error E-8003"],
     "E-8003 means the export download link has expired: links are valid for 7 days, so a new export must be started.",
     ["Start a new export in Admin Console > Data > Export.", "Wait for the ready email.", "Download every ZIP part within 7 days."], ["E-8003", "7 days"]))
A("KB-079", "Exporting audit logs", "data", "2026-07-07T11:45:00Z", [
    "The audit log records sign-ins, sharing, file deletions, admin changes and device wipes. It's available on Business, retained for 1 year, and Enterprise, retained for 3 years.",
    "Export it from Admin Console > Audit log > Export as CSV or JSON. Each export can contain up to 1 million events; narrow the date range for larger periods.",
    "Enterprise teams can also stream events to a SIEM through the Audit API at /v3/audit/events."],
  qa("data_export", ["How long are audit logs kept on Business compared with Enterprise, and how many events fit in one export?"],
     "Audit logs are retained for 1 year on Business and 3 years on Enterprise, and each export from Admin Console > Audit log > Export can contain up to 1 million events.",
     ["Open Admin Console > Audit log > Export.", "Choose CSV or JSON and a date range.",
      "Split the range if it contains more than 1 million events."], ["3 years", "1 million events"]))
A("KB-080", "Offboarding a user and keeping their files", "data", "2026-05-04T09:30:00Z", [
    "When someone leaves, remove them in Admin Console > Members > Remove member on Business and Enterprise, or in Settings > Team on Starter.",
    "During removal you choose a member to receive their files. If you skip this, their files are kept for 90 days and an admin can transfer them later from Admin Console > Members > Removed.",
    "Removing a member signs them out of all devices and wipes Larkspur files from their linked devices the next time they connect. Their seat becomes free but is still billed until you lower the seat count."],
  qa("data_export", ["an employee left, how do I keep her files and remove her account",
                     "Offboarding someone today, what happens to their stuff in larkspur?",
                     "removed a user last month without transferring files, are they gone?"],
     "When removing a member you choose who receives their files; if you skip it, the files are kept for 90 days and an admin can transfer them later from Admin Console > Members > Removed.",
     ["Remove the user in Admin Console > Members > Remove member.", "Choose a member to receive their files, or transfer later from Admin Console > Members > Removed within 90 days.",
      "Lower the seat count if the seat is no longer needed."], ["90 days"]))
A("KB-081", "Deleting your Larkspur account", "data", "2026-03-19T15:10:00Z", [
    "Only the account owner can delete a team. First cancel the paid subscription in Settings > Billing, then go to Settings > Team > Delete team.",
    "Deletion starts a 14-day cooling-off period during which the owner can cancel it from the confirmation email. After 14 days, all files, members and settings are permanently deleted.",
    "Deleted data is purged from backups within 35 days. Invoices are kept for 7 years for tax reasons.",
    "Individual members who want their own account deleted should ask their admin to remove them; a personal Free account can be deleted in Settings > Account > Delete account."],
  qa("data_export", ["I want to delete our company account permanently, how and how long does it take",
                     "Please delete all our data, we're closing the business",
                     "how do I delete my larkspur team for good"],
     "Only the account owner can delete a team: cancel the subscription, then use Settings > Team > Delete team; after a 14-day cooling-off period all data is permanently deleted, and it is purged from backups within 35 days.",
     ["Have the owner cancel the subscription in Settings > Billing.", "Use Settings > Team > Delete team.",
      "Explain the 14-day cooling-off period and that invoices are kept for 7 years."], ["14-day cooling-off period", "35 days"]))
A("KB-082", "Migrating from another cloud storage provider", "data", "2026-10-08T10:25:00Z", [
    "Larkspur Migrate copies files from Dropbox, Google Drive, Box and Microsoft OneDrive into Larkspur. Open it from Admin Console > Data > Migrate.",
    "Migration is free for up to 20 TB per team; beyond 20 TB, Enterprise customers get assisted migration from our services team.",
    "Folder structure and modification dates are kept. Sharing permissions are copied for Google Drive and Box only; for Dropbox and OneDrive you need to reshare.",
    "Migrations run in the cloud, so your computers don't need to stay on. Typical speed is 1 to 2 TB per day."],
  qa("data_export", ["Does Larkspur Migrate copy sharing permissions from Dropbox, and how much data can be migrated for free?"],
     "Migration is free for up to 20 TB per team, and sharing permissions are copied only for Google Drive and Box, so Dropbox shares must be recreated.",
     ["Start the migration in Admin Console > Data > Migrate.", "Plan for a typical speed of 1 to 2 TB per day.",
      "Reshare Dropbox folders after the migration completes."], ["20 TB", "Google Drive and Box"]))
A("KB-083", "How Larkspur encrypts your data", "security", "2026-02-12T10:00:00Z", [
    "Files are encrypted at rest with AES-256 and in transit with TLS 1.2 or higher. Each file block is encrypted with its own key, and keys are rotated every 90 days.",
    "Encryption keys are stored in a hardware security module (HSM) that is separate from the file storage.",
    "Enterprise teams can use Bring Your Own Key (BYOK) with AWS KMS or Azure Key Vault. Revoking the key makes the team's files unreadable, including to Larkspur staff.",
    "Larkspur staff cannot view file contents unless you grant temporary access for a support case."],
  qa("security", ["Is our data encrypted? our security questionnaire asks about at rest and in transit",
                  "what encryption does larkspur use",
                  "Can we bring our own encryption key?"],
     "Files are encrypted at rest with AES-256 and in transit with TLS 1.2 or higher, with keys rotated every 90 days and stored in a separate HSM; Enterprise teams can also use Bring Your Own Key.",
     ["Share the encryption details with the customer's security team.", "For BYOK, confirm the customer is on Enterprise and uses AWS KMS or Azure Key Vault.",
      "Explain that staff cannot view file contents without temporary access granted for a support case."], ["AES-256", "TLS 1.2"]))
A("KB-084", "Data residency regions", "security", "2026-08-13T09:00:00Z", [
    "Larkspur stores files in four regions: United States (Virginia), European Union (Frankfurt), United Kingdom (London) and Australia (Sydney).",
    "Business and Enterprise teams choose the region when the team is created. Free and Starter teams are stored in the United States.",
    "Moving an existing team to another region is available on Enterprise only. Migrations are scheduled with support, move about 10 TB per day, and files stay accessible throughout.",
    "Metadata needed for sign-in and billing is stored in the United States for all teams."],
  qa("security", ["Can a Business team move its data from the US region to Frankfurt after it has signed up?"],
     "No, Business teams choose the region when the team is created; moving an existing team to another region is available on Enterprise only and is scheduled with support at about 10 TB per day.",
     ["Explain that region moves require the Enterprise plan.", "If they upgrade, schedule the migration with support.",
      "Mention that files stay accessible during the migration."], ["Enterprise only", "10 TB per day"]))
A("KB-085", "Sign-in activity and suspicious sign-in alerts", "security", "2026-04-27T14:40:00Z", [
    "Settings > Security > Sign-in activity shows every sign-in from the last 90 days with the date, IP address, approximate location and device.",
    "If Larkspur sees a sign-in from a new country or an unusual device, it emails you a suspicious sign-in alert. If it wasn't you, click Secure my account in the email: this signs out all sessions and forces a password reset.",
    "Web sessions end after 30 days of inactivity. You can end all sessions at any time with Sign out everywhere."],
  qa("security", ["got an email about a sign in from a country I've never been to",
                  "Suspicious login alert from larkspur, was I hacked?",
                  "how can I see where my account was logged in from"],
     "If the suspicious sign-in wasn't you, click Secure my account in the alert email, which signs out all sessions and forces a password reset; the last 90 days of sign-ins are listed in Settings > Security > Sign-in activity.",
     ["Click Secure my account in the alert email if the sign-in wasn't you.", "Review Settings > Security > Sign-in activity.",
      "Turn on two-step verification."], ["Secure my account", "90 days"]))
A("KB-086", "IP allowlisting", "security", "2026-10-06T13:15:00Z", [
    "Enterprise admins can restrict access to Larkspur to specific IP ranges in Admin Console > Security > IP allowlist. Up to 100 CIDR ranges are supported, IPv4 and IPv6.",
    "The allowlist applies to the web app, desktop and mobile apps and the API. Requests from other addresses fail with E-1403.",
    "Before saving, Larkspur checks that your current IP address is on the list so you don't lock yourself out. Owners can still use the emergency bypass link if the office IP address changes."],
  qa("security", ["How many IP ranges can an Enterprise allowlist hold, and what error do blocked users see?"],
     "Enterprise admins can add up to 100 CIDR ranges (IPv4 and IPv6) in Admin Console > Security > IP allowlist, and requests from other addresses fail with E-1403.",
     ["Add the office ranges in Admin Console > Security > IP allowlist.", "Confirm the admin's current IP address is included before saving.",
      "Tell users that E-1403 means they are outside the allowed ranges."], ["100 CIDR ranges", "E-1403"]))
A("KB-087", "Reporting a security vulnerability", "security", "2026-01-22T09:50:00Z", [
    "Report vulnerabilities to security@larkspur.example. Include steps to reproduce and the affected URL or app version. You can encrypt reports with the PGP key published at larkspur.example/security.txt.",
    "We acknowledge reports within 2 business days. Valid findings in scope are eligible for our bug bounty, with rewards from $100 up to $5,000 depending on severity.",
    "Please don't access other customers' data, run denial-of-service tests or use social engineering. Out of scope: missing security headers without impact, and reports from automated scanners."],
  qa("security", ["I think I found a security bug in your web app, where do I report it? is there a bounty",
                  "Do you have a bug bounty program?",
                  "found an XSS on your share page, who do I send it to"],
     "Report it to security@larkspur.example with steps to reproduce; reports are acknowledged within 2 business days, and valid findings can earn a bug bounty from $100 up to $5,000.",
     ["Send the report to security@larkspur.example, optionally encrypted with the PGP key at larkspur.example/security.txt.",
      "Include steps to reproduce and the affected URL or app version.", "Don't access other customers' data or run denial-of-service tests."],
     ["security@larkspur.example", "2 business days"]))
A("KB-088", "Larkspur Classic plan retirement", "plans", "2026-01-05T09:00:00Z", [
    "The legacy Larkspur Classic plan, sold until 2023, is being retired. Classic teams move automatically to Starter on 2026-12-31 at their current price for 12 months.",
    "Classic teams with more than 10 users move to Business instead, with a 25% discount for the first year.",
    "No action is needed. Owners can switch earlier in Settings > Billing > Change plan. Invoices after the move show the new plan name, and storage, version history and sharing settings carry over unchanged."])

# --------------------------------------------------------------------------
# Help-center HTML pages (documents/html/*.html); blocks: ("h2"|"p", str) or ("ul", [str])
# --------------------------------------------------------------------------
HTML_PAGES = [
    dict(id="KB-101", slug="contacting-support", title="Contacting Larkspur Support", section="Getting help",
         updated="2026-09-30T12:00:00Z", blocks=[
            ("p", "Our support team helps with billing, account access and technical problems. How you reach us depends on your plan."),
            ("h2", "Support channels by plan"),
            ("ul", ["Free: community forum at community.larkspur.example.",
                    "Starter: email support with a first response within 48 hours.",
                    "Business: email and live chat with a first response within 24 hours (4 hours for priority 1 issues). Chat is open Monday to Friday, 06:00-20:00 UTC.",
                    "Enterprise: everything in Business plus 24/7 phone support at +1 888 555 0142 for priority 1 issues, with a 1-hour response target."]),
            ("h2", "Before you contact us"),
            ("p", "Include your team ID (Settings > Team), the exact error code (for example E-4012), and for desktop problems the diagnostic ID from Help > Send diagnostics."),
            ("p", "Only owners, admins and billing admins can discuss billing. We'll ask you to verify your identity before changing anything on the account.")],
         qa=[qa("escalation", ["what are your support hours for chat? we're on business",
                               "Is live chat available on weekends?",
                               "when can I reach a human on chat"],
                "On Business, live chat is open Monday to Friday, 06:00-20:00 UTC, and email and chat have a first response within 24 hours (4 hours for priority 1 issues).",
                ["Tell the customer chat is open Monday to Friday, 06:00-20:00 UTC.", "Outside those hours, ask them to email support.",
                 "Mark true priority 1 issues as such so the 4-hour target applies."], ["06:00-20:00 UTC"])]),
    dict(id="KB-102", slug="sync-4-8-release-notes", title="Larkspur Sync 4.8 release notes", section="Desktop app",
         updated="2026-10-14T16:00:00Z", blocks=[
            ("p", "Release notes for the 4.8 series of the Larkspur Sync desktop app. Updates roll out gradually over 7 days."),
            ("h2", "4.8.2 (2026-10-14)"),
            ("ul", ["Fixed false E-5003 errors for files opened in preview apps on macOS.",
                    "Fixed high CPU usage when a .larkignore file contains more than 1,000 patterns.",
                    "Faster uploads on high-latency networks."]),
            ("h2", "4.8.1 (2026-09-02)"),
            ("ul", ["Fixed a crash when renaming folders that contain emoji on Windows.", "Security hardening of the local helper service."]),
            ("h2", "4.8.0 (2026-08-05)"),
            ("ul", ["New Rename button in the error list for E-5010 files.", "New Activity panel showing the last 500 synced changes.",
                    "Windows on ARM is now supported natively."])],
         qa=[qa("troubleshooting", ["Which Larkspur Sync release fixed the false E-5003 errors on macOS, and when did it come out?"],
                "Larkspur Sync 4.8.2, released on 2026-10-14, fixed false E-5003 errors for files opened in preview apps on macOS.",
                ["Check the user's version via the Larkspur icon > About.", "Update to 4.8.2 or later.",
                 "Note that updates roll out gradually over 7 days."], ["4.8.2", "2026-10-14"])]),
    dict(id="KB-103", slug="getting-started-with-spaces", title="Getting started with Larkspur Spaces", section="Collaboration",
         updated="2026-06-26T10:00:00Z", blocks=[
            ("p", "Spaces are shared folders owned by the team rather than by one person, so work stays put when people change roles or leave."),
            ("h2", "Create a space"),
            ("ul", ["Click New > Space in the web app and give it a name.", "Add members or groups and choose their role.", "Optionally add a description and a cover color."]),
            ("h2", "Member limits"),
            ("ul", ["Starter: up to 50 members per space.", "Business: up to 500 members per space.", "Enterprise: up to 2,000 members per space."]),
            ("p", "Paid plans can create unlimited spaces; the Free plan is limited to 3. Groups count as one entry when added but every person in them counts toward the member limit.")],
         qa=[qa("how_to", ["What is the maximum number of members a single space can have on the Business plan?"],
                "A space on Business can have up to 500 members per space, and every person in an added group counts toward that limit.",
                ["Check the current member count in the space settings.", "Remember that each person in an added group counts.",
                 "Split very large audiences across several spaces or consider Enterprise."], ["500 members per space"])]),
    dict(id="KB-104", slug="admin-console-tour", title="A tour of the Admin Console", section="Administration",
         updated="2026-05-14T09:00:00Z", blocks=[
            ("p", "The Admin Console is available on Business and Enterprise to the owner and to admins. Open it from your avatar menu > Admin Console."),
            ("h2", "Sections"),
            ("ul", ["Members: invite, remove and unlock users, assign roles.", "Security: SSO, two-step verification rules, IP allowlist (Enterprise).",
                    "Sharing: external sharing and link defaults.", "Storage: usage per member and per space, deleted files.",
                    "Devices: linked devices, remote wipe, update policy.", "Data: export and migration.", "Audit log: search and export events."]),
            ("h2", "Admin roles"),
            ("p", "Besides the owner and full admins there are two limited roles. Billing admins manage payments and invoices. Support admins can reset two-step verification and unlock sign-ins for members, but they can't change security settings or see files.")],
         qa=[qa("how_to", ["what can a support admin do in larkspur? want to give our helpdesk limited rights",
                           "Is there an admin role that can unlock users but not change security settings?"],
                "Support admins can reset two-step verification and unlock sign-ins for members, but they can't change security settings or see files.",
                ["Open Admin Console > Members and select the helpdesk staff.", "Assign them the support admin role.",
                 "Keep security settings with full admins."], ["Support admins"])]),
    dict(id="KB-105", slug="mobile-app-faq", title="Larkspur mobile app FAQ", section="Mobile apps",
         updated="2026-10-20T11:30:00Z", blocks=[
            ("h2", "Which devices are supported?"),
            ("p", "iPhone and iPad with iOS 16 or later, and Android phones and tablets with Android 10 or later."),
            ("h2", "Can I use two accounts on one phone?"),
            ("p", "Yes. You can be signed in to up to 2 accounts at once, for example a personal Free account and your work account. Switch between them from the account picker at the top of the Files tab."),
            ("h2", "Can I lock the app?"),
            ("p", "Turn on Account > Passcode to require a 6-digit passcode or Face ID / fingerprint. Business and Enterprise admins can make the passcode mandatory with a mobile policy.")],
         qa=[qa("how_to", ["can I have my personal and work larkspur accounts on one phone?",
                           "Is it possible to switch between two larkspur accounts in the mobile app"],
                "Yes, the mobile app can be signed in to up to 2 accounts at once, and you switch between them from the account picker at the top of the Files tab.",
                ["Sign in to the second account from the account picker.", "Switch accounts from the top of the Files tab.",
                 "Turn on Account > Passcode to protect the work account."], ["2 accounts"])]),
    dict(id="KB-106", slug="keyboard-shortcuts", title="Keyboard shortcuts in the web app", section="Web app",
         updated="2026-02-19T13:00:00Z", blocks=[
            ("p", "Use these shortcuts in the Larkspur web app. On a Mac, use Cmd instead of Ctrl."),
            ("ul", ["/ : focus the search box", "Shift+U : upload files", "Shift+N : new folder",
                    "Ctrl+Shift+S : share the selected file (Cmd+Shift+S on Mac)", "Delete : move the selection to Trash", "Shift+? : show all shortcuts"]),
            ("p", "Shortcuts can be turned off in Settings > Preferences > Keyboard shortcuts if they clash with a screen reader or browser extension.")],
         qa=[qa("how_to", ["is there a keyboard shortcut to share a file in the web app on mac",
                           "keyboard shortcuts keep clashing with my browser extension, can I disable them?"],
                "Press Cmd+Shift+S on a Mac (Ctrl+Shift+S on Windows) to share the selected file, and shortcuts can be turned off in Settings > Preferences > Keyboard shortcuts.",
                ["Select the file in the web app.", "Press Cmd+Shift+S to open sharing.",
                 "Press Shift+? to see all shortcuts."], ["Cmd+Shift+S"])]),
    dict(id="KB-107", slug="status-page", title="Using the Larkspur status page", section="Getting help",
         updated="2026-07-10T08:00:00Z", blocks=[
            ("p", "status.larkspur.example shows the live state of every Larkspur component in each region: web app, desktop sync, mobile apps, API, sign-in and SSO, and billing."),
            ("h2", "During an incident"),
            ("p", "Every incident gets an ID such as INC-012 and is updated at least every 60 minutes until it is resolved. Resolved incidents stay on the page with a summary of cause and impact."),
            ("h2", "Subscribe to updates"),
            ("ul", ["Subscribe by email, SMS, RSS or Slack from the Subscribe button.", "Filter subscriptions by region and component.",
                    "Enterprise owners also get proactive emails for priority 1 incidents in their region."])],
         qa=[qa("troubleshooting", ["How often is the status page updated during an active incident, and how can customers subscribe to updates?"],
                "During an active incident the status page is updated at least every 60 minutes, and customers can subscribe by email, SMS, RSS or Slack from the Subscribe button.",
                ["Point the customer to status.larkspur.example.", "Show them the Subscribe button and the region and component filters.",
                 "Share the incident ID if one is open."], ["every 60 minutes", "email, SMS, RSS or Slack"])]),
    dict(id="KB-108", slug="archiving-a-space", title="Archiving a space", section="Collaboration",
         updated="2026-08-28T15:00:00Z", blocks=[
            ("p", "Archive a space when a project ends but you want to keep its files."),
            ("h2", "How to archive"),
            ("p", "Space Managers and admins open Space settings > Archive. Archived spaces are read-only: members can still view and download files but can't upload, edit or comment."),
            ("h2", "What to know"),
            ("ul", ["Archived spaces keep their sharing settings and still use storage.", "They don't count toward the Free plan's 3-space limit.",
                    "Restore at any time from Spaces > Archived > Restore.", "Deleting an archived space moves its contents to Trash."])],
         qa=[qa("how_to", ["project is finished, how do we archive the space and can people still see the files?",
                           "what happens when you archive a space in larkspur"],
                "Space Managers and admins archive a space in Space settings > Archive; archived spaces are read-only, so members can still view and download files but can't upload, edit or comment.",
                ["Open Space settings > Archive.", "Tell members the space is now read-only.",
                 "Restore it later from Spaces > Archived > Restore if needed."], ["read-only"])]),
]

# --------------------------------------------------------------------------
# Policies (documents/policies/*.md, YAML front matter)
# --------------------------------------------------------------------------
POLICIES = [
    dict(id="POL-001", slug="refund-policy", title="Refund Policy", visibility="public", updated="2026-07-08T08:30:00Z", owner="Finance", body="""
## Scope
This policy applies to all paid plans bought directly from Larkspur Cloud. Purchases made through resellers follow the reseller's terms.

## Annual plans
Annual plans are refunded in full if the refund is requested within 30 days of the initial purchase or of a renewal. After 30 days, the remaining term is not refunded; seat reductions take effect at the next renewal.

## Monthly plans
Monthly plans are not refunded for partial months. Cancelling stops the next renewal, and access continues until the end of the paid month.

## Duplicate or erroneous charges
Duplicate charges and charges made in error are refunded in full, whatever the plan. They are processed within 5 business days of confirmation.

## How refunds are paid
Refunds go to the original payment method. Card refunds take 5 to 10 business days to appear; SEPA and ACH refunds take up to 15 business days. Customers may choose an account credit instead of a refund.

## Outages
Service interruptions covered by the Service Level Agreement (POL-002) are compensated with service credits, not refunds.""",
         qas=[qa("billing_policy", ["can I get a refund for the rest of this month? we cancelled our monthly plan",
                                    "We cancelled mid-month, do we get the remaining days back?",
                                    "monthly subscriber here, cancelled today, will I get prorated refund"],
                 "Monthly plans are not refunded for partial months; cancelling stops the next renewal and access continues until the end of the paid month.",
                 ["Confirm the cancellation is scheduled.", "Explain that access continues until the end of the paid month.",
                  "Offer to help export any files the customer needs."], ["partial months"]),
              qa("billing_policy", ["We were charged twice this month!!",
                                    "two identical charges on our card from larkspur today",
                                    "I see a double payment on my statement, please fix"],
                 "Duplicate charges are refunded in full whatever the plan and are processed within 5 business days of confirmation; card refunds then take 5 to 10 business days to appear.",
                 ["Confirm both charges and the invoice numbers in the billing system.", "Refund the duplicate charge in full.",
                  "Tell the customer card refunds take 5 to 10 business days to appear."], ["5 business days", "5 to 10 business days"]),
              qa("escalation", ["AGENT:Customer renewed their annual plan 6 weeks ago and now wants a full refund, they are quite upset",
                                "AGENT:Annual renewal was over a month ago, customer insists on refund. What can I do?"],
                 "Annual plans are only refunded within 30 days of a renewal, so this request needs an exception, and exceptions to the 30-day refund window can only be approved by the Support Lead.",
                 ["Explain the 30-day refund window to the customer politely.", "Escalate the exception request to the Support Lead with the invoice number.",
                  "Offer to reduce seats at the next renewal as an alternative."], ["30 days", "Support Lead"], ["POL-011"])]),
    dict(id="POL-002", slug="service-level-agreement", title="Service Level Agreement", visibility="public", updated="2026-01-02T09:00:00Z", owner="Legal", body="""
## Uptime commitment
Larkspur commits to 99.9% monthly uptime on Business and 99.95% monthly uptime on Enterprise. Free and Starter have no SLA.

## Service credits
If monthly uptime falls below the commitment, the customer receives a service credit:

- below the commitment but at least 99.0%: 10% of the monthly fee
- below 99.0% but at least 95.0%: 25% of the monthly fee
- below 95.0%: 50% of the monthly fee

## Claims
Credits must be claimed through support within 30 days of the end of the affected month. Credits are applied to the next invoice and cannot be refunded as cash.

## Exclusions
Scheduled maintenance announced at least 72 hours in advance (at most 4 hours per month), problems caused by the customer's network or identity provider, and beta features are excluded.""",
         qas=[qa("billing_policy", ["What service credit does an Enterprise customer get if their monthly uptime ended up at 98.7%?"],
                 "Enterprise commits to 99.95% monthly uptime, and uptime below 99.0% but at least 95.0% earns a service credit of 25% of the monthly fee, claimed within 30 days of the end of the month.",
                 ["Confirm the measured uptime for the month.", "Ask the customer to claim the credit through support within 30 days of the end of the month.",
                  "Explain that the credit is applied to the next invoice, not paid as cash."], ["25%", "99.95%"])]),
    dict(id="POL-003", slug="support-policy", title="Customer Support Policy", visibility="public", updated="2026-09-30T11:00:00Z", owner="Support Operations", body="""
## Priorities
- P1 (critical): Larkspur is unusable for all users of a team, or data loss is suspected.
- P2 (high): a major feature is broken for many users and a workaround exists.
- P3 (normal): a problem affecting one user or a minor feature.
- P4 (question): how-to questions and feature requests.

## First response targets
- Free: community forum only, no response target.
- Starter: email, 48 hours for all priorities.
- Business: email and chat, 4 hours for P1 and 24 hours for other priorities.
- Enterprise: P1 within 1 hour (24/7 phone), P2 within 4 hours, P3 and P4 within 1 business day.

## Languages
Support is provided in English, German, French and Spanish. Enterprise customers can also get support in Japanese.""",
         qas=[qa("escalation", ["what's your response time for a P1 on the Business plan?",
                                "How fast will you answer if our whole team is down? we're Business",
                                "AGENT:Business customer asking what first response time they are entitled to"],
                 "On Business, P1 issues have a first response target of 4 hours and other priorities 24 hours, by email and chat.",
                 ["Confirm the issue meets the P1 definition (Larkspur unusable for all users or suspected data loss).", "Set the ticket priority accordingly.",
                  "Tell the customer the applicable first response target."], ["4 hours", "24 hours"]),
              qa("escalation", ["Do you offer support in German? our office in Munich prefers it",
                                "can we get support in spanish"],
                 "Support is provided in English, German, French and Spanish, and Enterprise customers can also get support in Japanese.",
                 ["Confirm the preferred language with the customer.", "Route the ticket to an agent who speaks that language.",
                  "Note the language preference on the account."], ["German"])]),
    dict(id="POL-004", slug="acceptable-use-policy", title="Acceptable Use Policy", visibility="public", updated="2026-03-01T10:00:00Z", owner="Trust & Safety", body="""
## Prohibited use
Customers may not use Larkspur to store or distribute malware or phishing pages, content that infringes intellectual property, illegal content, or spam sent through shared links. Automated account creation and attempts to bypass plan limits are also prohibited.

## Bandwidth
Shared links are meant for collaboration, not as a content delivery network. Links that serve more than 1 TB per day may be throttled.

## Enforcement
Most violations get a written warning first. Distributing malware or phishing pages leads to immediate suspension without warning.

## Reporting abuse
Anyone can report abuse to abuse@larkspur.example. Include the shared link or file ID. Reports are triaged within 1 business day.""",
         qas=[qa("escalation", ["Someone sent me a larkspur link that downloads a virus, who do I report it to?",
                                "AGENT:Customer reports a larkspur shared link hosting a phishing page",
                                "there's a malware file being shared from your service"],
                 "Distributing malware or phishing pages leads to immediate suspension, and abuse is reported to abuse@larkspur.example with the shared link or file ID; reports are triaged within 1 business day.",
                 ["Ask the reporter for the shared link or file ID.", "Forward the report to abuse@larkspur.example.",
                  "Do not download or open the file yourself."], ["abuse@larkspur.example"], ["POL-010"]),
              qa("troubleshooting", ["our public download link got really slow, we share installers to customers with it",
                                     "Why is our shared link throttled? it's used for our product downloads"],
                 "Shared links are meant for collaboration, not as a content delivery network, and links that serve more than 1 TB per day may be throttled.",
                 ["Check how much the link serves per day.", "Explain the 1 TB per day guideline.",
                  "Suggest a dedicated content delivery service for public downloads."], ["1 TB per day"])]),
    dict(id="POL-005", slug="data-retention-policy", title="Data Retention and Deletion Policy", visibility="public", updated="2026-05-13T12:00:00Z", owner="Legal", body="""
## Customer content
- Trash: 30 days on Free and Starter, 90 days on Business and Enterprise.
- Version history: 30 days (Free), 90 days (Starter), 180 days (Business), 365 days (Enterprise).
- Suspended teams: data is retained for 60 days from the suspension date.
- Cancelled teams: data is retained for 90 days after the end of the paid period, then permanently deleted.
- Deleted teams: permanently deleted after a 14-day cooling-off period.
- Removed members: files are retained for 90 days for transfer.

## Backups
Once data is deleted, it is purged from backups within 35 days.

## Other records
Invoices are kept for 7 years. Support tickets are kept for 3 years and then anonymized.""",
         qas=[qa("data_export", ["how long do you keep our data after we cancel?",
                                 "If we stop paying and cancel, when is our stuff actually deleted?",
                                 "what's your data retention after cancellation, asking for our DPO"],
                 "After cancellation, data is retained for 90 days after the end of the paid period and then permanently deleted, and deleted data is purged from backups within 35 days.",
                 ["Tell the customer the exact end of their paid period.", "Recommend exporting data before the 90 days end.",
                  "Mention that backups are purged within 35 days of deletion."], ["90 days", "35 days"]),
              qa("data_export", ["How long do you keep our old support tickets?",
                                 "do you store support conversations forever?"],
                 "Support tickets are kept for 3 years and then anonymized.",
                 ["Share the retention period with the customer.", "If they need a ticket deleted sooner, route it as a privacy request.",
                  "Note the request on the account."], ["3 years"])]),
    dict(id="POL-006", slug="account-suspension-policy", title="Account Suspension Policy", visibility="public", updated="2026-07-22T08:00:00Z", owner="Finance", body="""
## Grounds for suspension
A team can be suspended for an unpaid balance, for violating the Acceptable Use Policy (POL-004), or placed on a security hold when account takeover is suspected.

## Unpaid balance timeline
After a failed payment, the payment is retried 3, 5 and 7 days after the first failure. A final notice is emailed on day 12, and the team is suspended 14 days after the first failed payment if the balance is still unpaid.

## During a suspension
Members can't sign in, sync or use shared links. Owners and billing admins can still reach the billing page. Data is retained for 60 days from the suspension date and then deleted.

## Appeals
Suspensions for Acceptable Use Policy violations can be appealed to trust@larkspur.example within 30 days of the suspension. Appeals are decided within 10 business days.""",
         qas=[qa("account_reactivation", ["will we get a warning before you suspend us for non-payment?",
                                          "How many days do we have after a failed payment before suspension?",
                                          "does larkspur warn you before suspending an account"],
                 "Yes: the payment is retried 3, 5 and 7 days after the first failure, a final notice is emailed on day 12, and the team is suspended 14 days after the first failed payment if the balance is still unpaid.",
                 ["Check the date of the first failed payment.", "Ask the customer to update the payment method and retry before day 14.",
                  "Confirm the balance is cleared to avoid suspension."], ["day 12", "14 days"])]),
    dict(id="POL-007", slug="privacy-and-data-subject-requests", title="Privacy and Data Subject Requests", visibility="public", updated="2026-04-30T10:00:00Z", owner="Privacy Office", body="""
## Roles
Larkspur Cloud is the processor for content that customers store and the controller for account and billing data.

## Data subject requests
Requests from account holders about their own personal data (access, correction, deletion, portability) are sent to privacy@larkspur.example and answered within 30 days. Complex requests can be extended by up to 60 days; we tell the requester if that happens.

Requests about content stored in a customer's team are forwarded to that team's admin, because the customer controls that content.

## Subprocessors
The list of subprocessors is published at larkspur.example/subprocessors. Customers are notified 30 days before a new subprocessor is added. The Data Processing Agreement can be downloaded in Settings > Legal.""",
         qas=[qa("data_export", ["GDPR request: one of our users wants a copy of all personal data you hold about him",
                                 "How do I submit a data subject access request to larkspur and how long will it take?"],
                 "Data subject requests from account holders go to privacy@larkspur.example and are answered within 30 days (complex ones can be extended by up to 60 days), while requests about content in a customer's team are forwarded to that team's admin.",
                 ["Ask the requester to email privacy@larkspur.example.", "If the request concerns content in the team, forward it to the team's admin.",
                  "Tell the requester the answer comes within 30 days."], ["privacy@larkspur.example", "30 days"]),
              qa("data_export", ["where can I download your DPA", "Do you notify us before adding a new subprocessor?"],
                 "The Data Processing Agreement can be downloaded in Settings > Legal, and customers are notified 30 days before a new subprocessor is added.",
                 ["Point the customer to Settings > Legal for the DPA.", "Share the subprocessor list at larkspur.example/subprocessors.",
                  "Confirm who should receive subprocessor notices."], ["Settings > Legal", "30 days"])]),
    dict(id="POL-008", slug="security-incident-notification", title="Security Incident Notification Policy", visibility="public", updated="2026-02-20T09:00:00Z", owner="Security", body="""
## Commitment
If Larkspur confirms a security incident that affects customer data, we notify affected customers without undue delay and within 72 hours of confirmation.

## Who is notified
Notices go to the account owner and to any security contacts listed in Settings > Security > Contacts. Enterprise customers with a named security contact also receive a phone call.

## What the notice contains
The nature of the incident, the categories of data affected, the measures taken, and recommended actions for the customer.

## Follow-up
A written post-incident report is shared with affected customers within 30 days.""",
         qas=[qa("security", ["How quickly does Larkspur have to notify customers after confirming a security incident that affects their data?"],
                 "Affected customers are notified without undue delay and within 72 hours of confirming the incident, and a written post-incident report follows within 30 days.",
                 ["Check that the customer's security contacts in Settings > Security > Contacts are current.", "Explain who receives the notice.",
                  "Mention the post-incident report within 30 days."], ["72 hours"])]),
    dict(id="POL-009", slug="enterprise-fair-use", title="Fair Use Policy for Enterprise Storage", visibility="public", updated="2026-06-03T10:30:00Z", owner="Sales Operations", body="""
## Standard allowance
Enterprise includes 5 TB of pooled storage per licensed user.

## Contracts with unlimited storage
Some Enterprise contracts include unlimited storage. These contracts are subject to fair use: a review starts when average usage exceeds 15 TB per licensed user.

## What a review means
The account manager contacts the customer to discuss usage. We give at least 60 days notice before any change to the contract, and no data is ever deleted as a result of a fair use review.""",
         qas=[qa("billing_policy", ["When does the fair use review start for an Enterprise contract with unlimited storage?"],
                 "A fair use review starts when average usage exceeds 15 TB per licensed user, the account manager gives at least 60 days notice before any change, and no data is deleted.",
                 ["Check the team's average usage per licensed user.", "Loop in the account manager if the threshold is exceeded.",
                  "Reassure the customer that no data is deleted."], ["15 TB per licensed user", "60 days"])]),
    dict(id="POL-010", slug="escalation-matrix", title="Support Escalation Matrix", visibility="internal", updated="2026-10-12T07:30:00Z", owner="Support Operations", body="""
## Severity definitions (internal)
- P1: outage or sign-in failure affecting all users of a team, suspected data loss, or a confirmed security breach.
- P2: a major feature broken for many users where a workaround exists.
- P3: an issue affecting a single user.
- P4: how-to questions and feature requests.

## Routing
- P1: page the on-call Tier 3 engineer in the #sev1 channel within 15 minutes. For Enterprise customers, also notify the account manager.
- P2: assign to the Tier 2 queue within 2 hours.
- P3: Tier 1 handles it within the plan's response target.
- P4: Tier 1 answers with the relevant KB article.

## Special routes
- Vulnerability reports: forward to security@larkspur.example. Never discuss technical details in the ticket.
- Suspected account takeover: move to the Trust & Safety queue and apply a security hold.
- Legal requests (subpoenas, law enforcement): forward to legal@larkspur.example. Do not confirm or deny that an account exists.
- Abuse reports: forward to abuse@larkspur.example.
- Anything the knowledge base does not cover: escalate to Tier 2 and tell the customer we will follow up within one business day.""",
         qas=[qa("escalation", ["All 300 people at our company get E-4012 on SSO login since 9am, nobody can work!",
                                "AGENT:Enterprise customer: entire org locked out, SSO error E-4012 for everyone"],
                 "A sign-in failure affecting all users of a team is a P1: page the on-call Tier 3 engineer in the #sev1 channel within 15 minutes and notify the account manager for Enterprise, while an admin fixes the certificate mismatch behind E-4012.",
                 ["Page the on-call Tier 3 engineer in #sev1 within 15 minutes.", "Notify the account manager because the customer is on Enterprise.",
                  "Ask an admin to sign in via app.larkspur.example/login?sso=bypass and upload the new certificate in Admin Console > Security > SSO."],
                 ["#sev1", "15 minutes", "E-4012"], ["KB-041"]),
              qa("escalation", ["AGENT:I got a letter from the police asking whether a certain email has a Larkspur account, what do I do",
                                "AGENT:A lawyer emailed asking us to confirm if john.doe has files on larkspur, subpoena attached"],
                 "Legal requests such as subpoenas or law enforcement requests are forwarded to legal@larkspur.example, and agents must not confirm or deny that an account exists.",
                 ["Do not confirm or deny that an account exists.", "Forward the request and attachments to legal@larkspur.example.",
                  "Tell the requester the legal team will respond."], ["legal@larkspur.example"]),
              qa("escalation", ["AGENT:Customer says someone changed their password and is deleting files right now",
                                "I think my account was hacked, files are being shared with strangers"],
                 "Suspected account takeover is moved to the Trust & Safety queue with a security hold applied; if data loss is suspected it is also a P1.",
                 ["Move the ticket to the Trust & Safety queue.", "Apply a security hold on the account.",
                  "If files are being deleted, page the on-call Tier 3 engineer in #sev1 within 15 minutes."], ["Trust & Safety queue", "security hold"]),
              qa("escalation", ["Lots of our users say mobile uploads fail but web uploads still work",
                                "Camera uploads broken for half our staff, they upload via web for now"],
                 "A major feature broken for many users with a workaround is a P2, which is assigned to the Tier 2 queue within 2 hours.",
                 ["Set the ticket to P2.", "Assign it to the Tier 2 queue within 2 hours.",
                  "Confirm the web upload workaround with the customer."], ["P2", "2 hours"])]),
    dict(id="POL-011", slug="refund-approval-limits", title="Refund and Credit Approval Limits", visibility="internal", updated="2026-08-01T09:00:00Z", owner="Finance", body="""
## Approval limits per case
- Tier 1 agents: refunds and credits up to $250.
- Tier 2 agents: up to $1,000.
- Support Lead: up to $5,000, and any exception to the 30-day refund window.
- Above $5,000: Billing Manager plus Finance approval.

## Goodwill credits
Goodwill credits are limited to one month of the customer's subscription fees per 12 months.

## Duplicate charges
Any tier can refund a duplicate charge in full once it is confirmed in the billing system, regardless of the amount.

## Documentation
Record the approver in the ticket and add the tag refund-approved.""",
         qas=[qa("escalation", ["AGENT:Customer wants $2,400 back for unused seats, they renewed annual 2 weeks ago. I'm tier 1, can I just do it?",
                                "AGENT:tier 1 here: refund request of a few thousand dollars within the 30 day window, who approves?"],
                 "Tier 1 agents can approve refunds up to $250 and Tier 2 up to $1,000, so a refund above $1,000 and up to $5,000 needs Support Lead approval; annual plans are refundable in full within 30 days of a renewal.",
                 ["Confirm the renewal is within 30 days.", "Escalate the refund to the Support Lead for approval.",
                  "Record the approver in the ticket and add the tag refund-approved."], ["$250", "$1,000", "Support Lead"], ["POL-001"]),
              qa("escalation", ["AGENT:Customer was affected by the outage and wants compensation, how much goodwill credit can I give?",
                                "AGENT:can I give a goodwill credit to an annoyed customer? how much"],
                 "Goodwill credits are limited to one month of the customer's subscription fees per 12 months, and Tier 1 agents can approve credits up to $250.",
                 ["Check whether the customer received a goodwill credit in the last 12 months.", "Stay within one month of subscription fees and your tier's limit.",
                  "Record the approver and add the tag refund-approved."], ["one month", "$250"]),
              qa("escalation", ["AGENT:Customer was charged twice, $3,600 each time. That's above my limit, do I need approval?",
                                "AGENT:duplicate charge of a big annual invoice, can tier 1 refund it"],
                 "Any tier can refund a duplicate charge in full once it is confirmed in the billing system, regardless of the amount.",
                 ["Confirm the duplicate charge in the billing system.", "Refund the duplicate in full.",
                  "Record it in the ticket with the tag refund-approved."], ["regardless of the amount"])]),
    dict(id="POL-012", slug="personal-data-in-tickets", title="Handling Personal Data in Support Tickets", visibility="internal", updated="2026-09-18T10:00:00Z", owner="Privacy Office", body="""
## Never ask for
Full card numbers, full bank account numbers, passwords or two-step verification codes.

## If a customer sends them anyway
Redact full card numbers and IBANs with the Redact action within 24 hours, and tell the customer that the data was removed and should not be sent again.

## Verifying identity
Before discussing account details, verify two of: the last 4 digits of the card on file, the most recent invoice number, or the billing postal code.

## Internal communication
Don't paste customer personal data into internal chat; refer to the ticket ID instead. Identity documents uploaded for verification are deleted within 7 days.""",
         qas=[qa("security", ["A customer pasted a full card number into a ticket. What must the agent do, and by when?"],
                 "The agent must redact the card number with the Redact action within 24 hours and tell the customer it was removed and should not be sent again.",
                 ["Use the Redact action on the message with the card number.", "Tell the customer the data was removed and not to send it again.",
                  "Ask them to update the card themselves in Settings > Billing > Payment method."], ["within 24 hours"])]),
    dict(id="POL-013", slug="identity-verification-account-recovery", title="Identity Verification for Account Recovery", visibility="internal", updated="2026-06-24T15:00:00Z", owner="Trust & Safety", body="""
## When this applies
An account owner lost two-step verification and all backup codes, an ownership change is requested while the owner can't be reached, or a security hold needs to be lifted.

## Requirements
1. The request comes from an email address on the team's verified domain.
2. A government ID matching the account name, uploaded through a secure upload link. The link expires after 72 hours.
3. One billing factor: the last 4 digits of the card on file or a recent invoice number.

## Timelines
A decision is made within 2 business days. Ownership changes without the current owner additionally need a signed letter from a company officer and take 5 business days in total.

## Never
Never disable two-step verification or change ownership based on a phone call or an email alone.""",
         qas=[qa("escalation", ["AGENT:Someone called saying they're the CEO and need 2FA removed from the owner account right now",
                                "AGENT:Caller claims to be the account owner and wants 2fa turned off over the phone"],
                 "Two-step verification must never be disabled based on a phone call or an email alone; the owner has to complete identity verification, and a decision is made within 2 business days.",
                 ["Decline to disable 2FA over the phone.", "Send a secure upload link for a government ID, which expires after 72 hours.",
                  "Ask for one billing factor and confirm the request comes from the team's verified domain."], ["2 business days", "72 hours"])]),
]

# --------------------------------------------------------------------------
# Incidents (documents/incidents.jsonl)
# --------------------------------------------------------------------------
INCIDENTS = [
    dict(id="INC-001", title="Web uploads failing in the United States region", start="2026-03-10T04:05:00Z", end="2026-03-10T07:50:00Z",
         status="resolved", text="Between 04:05 and 07:50 UTC on 2026-03-10, uploads through the web app failed with error E-5500 for teams in the United States (Virginia) region. Desktop and mobile uploads were not affected. Workaround during the incident: upload with the Larkspur Sync desktop app. Cause: a faulty load balancer configuration deployed at 03:58 UTC. This incident is resolved and no data was lost. Details: status.larkspur.example/incidents/INC-001.",
         qas=[qa("troubleshooting", ["We saw E-5500 errors on web uploads on March 10, was that on your side?",
                                     "our uploads in the browser failed for a few hours in March with E-5500, what happened?"],
                 "Yes, incident INC-001 caused web uploads in the United States (Virginia) region to fail with E-5500 on 2026-03-10; it is resolved and no data was lost.",
                 ["Share the incident summary from status.larkspur.example/incidents/INC-001.", "Ask the customer to retry any uploads that failed during the incident.",
                  "If E-5500 appears again, open a new ticket with the time and error code."], ["INC-001", "E-5500"])]),
    dict(id="INC-002", title="SSO sign-in failures for Okta-connected teams", start="2026-06-22T13:15:00Z", end="2026-06-22T18:40:00Z",
         status="resolved", text="From 13:15 UTC on 2026-06-22, sign-ins through SSO failed with E-4012 for teams using Okta in all regions, after a certificate bundle update on the Larkspur side. Password sign-ins and other identity providers were not affected. Workaround: owners and admins could use the emergency bypass sign-in. The update was rolled back and the incident was resolved on 2026-06-22 at 18:40 UTC. This incident is resolved. Details: status.larkspur.example/incidents/INC-002."),
    dict(id="INC-003", title="Android camera uploads stuck on Waiting", start="2026-09-11T08:00:00Z", end="2026-09-12T16:20:00Z",
         status="resolved", text="Android app version 7.2.0 stopped camera uploads, which stayed in the Waiting state, for all regions from 08:00 UTC on 2026-09-11. iOS and manual uploads worked normally. The fix shipped in Android app version 7.2.1 on 2026-09-12. Photos taken during the incident upload automatically after updating. This incident is resolved. Details: status.larkspur.example/incidents/INC-003.",
         qas=[qa("troubleshooting", ["camera uploads on my android phone were stuck on Waiting in September, are those photos lost?",
                                     "Android photos stuck waiting to upload since september, still on version 7.2.0"],
                 "That was incident INC-003: Android app version 7.2.0 stopped camera uploads, and the fix shipped in version 7.2.1 on 2026-09-12; photos taken during the incident upload automatically after updating.",
                 ["Update the Android app to 7.2.1 or later from Google Play.", "Open the app and let the queued photos upload.",
                  "If photos are still waiting afterwards, send the crash ID or a screenshot to support."], ["7.2.1", "INC-003"])]),
    dict(id="INC-004", title="Delayed notification emails in Australia", start="2026-10-05T01:30:00Z", end="2026-10-05T05:10:00Z",
         status="resolved", text="Between 01:30 and 05:10 UTC on 2026-10-05, share invitations and comment notification emails for teams in the Australia (Sydney) region were delayed by up to 3 hours. All emails were delivered. No action is needed. This incident is resolved. Details: status.larkspur.example/incidents/INC-004."),
    dict(id="INC-005", title="Delayed desktop sync in the EU (Frankfurt) region", start="2026-11-18T07:40:00Z", end="",
         status="investigating", text="Status: investigating (last update 2026-11-19 10:00 UTC). Since 07:40 UTC on 2026-11-18, Larkspur Sync desktop clients for teams in the European Union (Frankfurt) region may take up to 45 minutes to upload or download changes. The web app, mobile apps and API are working normally. No files are lost; pending changes sync automatically once the backlog clears. Workaround: for urgent files, upload or download them through the web app at app.larkspur.example. Do not reinstall Larkspur Sync or rebuild the sync index; this does not help and delays recovery. Updates every 60 minutes at status.larkspur.example/incidents/INC-005."),
    # Deliberately bad record #3: valid_until is before valid_from.
    dict(id="INC-006", title="Scheduled maintenance: audit log export", start="2026-08-02T10:00:00Z", end="2026-08-01T12:00:00Z",
         status="resolved", text="Scheduled maintenance of the audit log export service. Audit log exports from Admin Console > Audit log were unavailable during the maintenance window. Other features were not affected. This maintenance is complete."),
]
NEW_INCIDENT = dict(id="INC-007", title="EU payment processing degraded", start="2026-11-21T08:10:00Z", end="", status="investigating",
                    text="Status: investigating (last update 2026-11-21 09:30 UTC). Since 08:10 UTC on 2026-11-21, SEPA Direct Debit collections and card payments in EUR are failing intermittently with E-3301 for teams billed in EUR. Automatic payment retries are paused, and no team will be suspended for a payment that fails during this incident. Workaround: wait for the incident to be resolved, or pay with a card issued outside the EU in Settings > Billing > Payment method. Updates every 60 minutes at status.larkspur.example/incidents/INC-007.")

# --------------------------------------------------------------------------
# Customers (documents/customers.csv) and people used in tickets and prompts
# --------------------------------------------------------------------------
TODAY = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)  # the dataset's "now"
REGIONS = {"US": ("United States (Virginia)", "USD", "$"), "EU": ("European Union (Frankfurt)", "EUR", "€"),
           "UK": ("United Kingdom (London)", "GBP", "£"), "AU": ("Australia (Sydney)", "AUD", "A$")}
LIST_PRICE = {("Starter", "USD"): (6, 8), ("Business", "USD"): (12, 15), ("Business", "EUR"): (11, 14),
              ("Business", "GBP"): (10, 13), ("Business", "AUD"): (18, 23)}
POOL_PER_SEAT_TB = {"Starter": 1, "Business": 2, "Enterprise": 5}
ACCOUNT_MANAGERS = ["Priya Raman", "Jonah Whitfield", "Marta Kowalska", "Diego Alvarez", "Hannah Brooks", "Kenji Mori"]
AGENTS = ["Sam", "Noor", "Felix", "Ines", "Marcus", "Yuki", "Tomas", "Adaeze"]
# name, industry, plan, seats, cycle, region, status, SSO identity provider ("" = none)
CUSTOMERS = [
    ("Northwind Analytics", "data analytics consultancy", "Business", 42, "annual", "US", "active", "Okta"),
    ("Harbor & Finch Design", "design studio", "Starter", 7, "monthly", "US", "active", ""),
    ("Bluepeak Logistics", "freight forwarder", "Business", 65, "annual", "EU", "suspended", ""),
    ("Cedar Lane Dental Group", "group of dental practices", "Business", 18, "monthly", "US", "active", ""),
    ("Quillstone Publishing", "book publisher", "Enterprise", 140, "annual", "UK", "active", "Microsoft Entra ID"),
    ("Orbital Robotics", "robotics manufacturer", "Enterprise", 320, "annual", "US", "active", "Okta"),
    ("Mapleton City Library", "public library system", "Business", 25, "annual", "US", "active", ""),
    ("Brightwater Nonprofit Alliance", "nonprofit network", "Business", 12, "monthly", "UK", "past_due", ""),
    ("Kestrel Legal LLP", "law firm", "Enterprise", 85, "annual", "UK", "active", "Microsoft Entra ID"),
    ("Fjordline Shipping", "shipping company", "Business", 15, "trial", "EU", "trial", ""),
    ("Saffron Street Kitchens", "restaurant group", "Starter", 9, "annual", "US", "active", ""),
    ("Tidewater Architects", "architecture practice", "Business", 22, "annual", "AU", "active", ""),
    ("Ironbark Mining Services", "mining services contractor", "Business", 54, "monthly", "AU", "suspended", ""),
    ("Lumen & Vine Marketing", "marketing agency", "Business", 16, "monthly", "EU", "active", ""),
    ("Pinecrest Academy", "secondary school", "Business", 60, "annual", "US", "active", "Google Workspace"),
    ("Copperleaf Accounting", "accounting firm", "Starter", 5, "monthly", "US", "active", ""),
    ("Nimbus Game Studio", "game developer", "Business", 38, "annual", "EU", "cancelled", ""),
    ("Redwood Health Partners", "clinic network", "Enterprise", 210, "annual", "US", "active", "Okta"),
    ("Aurora Film Collective", "film production company", "Business", 14, "monthly", "UK", "active", ""),
    ("Granite Peak Construction", "construction company", "Business", 47, "annual", "US", "active", "Google Workspace"),
    ("Silverline Insurance Brokers", "insurance broker", "Business", 33, "annual", "US", "active", "Okta"),
    ("Driftwood Travel", "travel agency", "Business", 11, "annual", "EU", "active", ""),
    ("Helix Biolabs", "biotech laboratory", "Enterprise", 95, "annual", "EU", "active", "Okta"),
    ("Marigold Events", "event planning agency", "Business", 28, "annual", "US", "active", ""),
    ("Stonebridge Consulting", "management consultancy", "Business", 19, "monthly", "US", "suspended", ""),
    ("Wavecrest Media", "podcast network", "Business", 8, "annual", "AU", "active", ""),
    ("Oakhaven Property Management", "property management company", "Business", 12, "trial", "US", "trial", ""),
    ("Polaris Engineering", "engineering firm", "Enterprise", 150, "annual", "UK", "active", "Microsoft Entra ID"),
    ("Juniper Retail Co.", "retail chain", "Business", 75, "annual", "US", "active", ""),
    ("Lakeshore Veterinary Clinics", "veterinary group", "Starter", 10, "annual", "US", "past_due", ""),
]
NOTES = ["Prefers email over phone calls.", "Evaluating Enterprise for next year.", "Heavy user of the Slack integration.",
         "Asked about data residency during onboarding.", "Uses file requests to collect documents from clients.",
         "Admin team is small; keep instructions short.", "Migrated from Dropbox with Larkspur Migrate.",
         "Sensitive to price changes; involve the account manager before renewal.", "Runs a nightly API import job.",
         "Several remote staff on mobile devices."]
FIRST = ["Maria", "Daniel", "Priya", "Tom", "Aiko", "Liam", "Fatima", "Jonas", "Chloe", "Rahul", "Sofia", "Ethan", "Grace",
         "Lukas", "Amara", "Noah", "Isabella", "Wei", "Hannah", "Oliver", "Zainab", "Mateo", "Emma", "Arjun", "Lea", "Samuel",
         "Nadia", "Kofi", "Ingrid", "Pablo", "Mei", "Declan", "Yara", "Felipe", "Anika", "George"]
LAST = ["Lopez", "Okafor", "Nair", "Becker", "Tanaka", "O'Connor", "Haddad", "Lindqvist", "Martin", "Mehta", "Rossi", "Brooks",
        "Kim", "Novak", "Eze", "Fischer", "Costa", "Chen", "Weiss", "Grant", "Bello", "Silva", "Johansson", "Rao", "Dubois",
        "Adeyemi", "Petrov", "Mensah", "Larsen", "Romero", "Zhang", "Byrne", "Khalil", "Moreno", "Schmidt", "Walsh"]
EMAIL_DOMAINS = ["example.com", "example.org", "example.net"]
TEST_CARDS = [("4111 1111 1111 1111", "Visa"), ("5555 5555 5555 4444", "Mastercard"),
              ("4242 4242 4242 4242", "Visa"), ("3782 822463 10005", "American Express")]
IBANS_EUR = ["DE89 3704 0044 0532 0130 00", "FR14 2004 1010 0505 0001 3M02 606", "NL91 ABNA 0417 1643 00", "ES91 2100 0418 4502 0005 1332"]
IBAN_GB = "GB82 WEST 1234 5698 7654 32"
IPS = ["203.0.113.45", "198.51.100.23", "192.0.2.146", "203.0.113.209", "198.51.100.77", "192.0.2.18"]
CITIES = ["Lisbon, Portugal", "Manila, Philippines", "Bucharest, Romania", "Lima, Peru", "Oslo, Norway", "Nairobi, Kenya"]
# Ticket kinds used for SFT customer examples (A) and reserved for eval customer questions (B).
KINDS_B = ["api_rate_limit", "vat_reissue", "data_export", "refund_outside_window", "downgrade", "offboarding"]
FORCED_B = {"CUS-021": "api_rate_limit", "CUS-022": "vat_reissue", "CUS-023": "data_export",
            "CUS-024": "refund_outside_window", "CUS-026": "downgrade", "CUS-028": "offboarding"}
EVAL_CUSTOMERS = {f"CUS-{i:03d}" for i in range(21, 31)}  # their docs are never SFT gold
BAD_EMPTY_TICKET_CUSTOMER = "CUS-014"  # deliberately bad record #1 is appended to this customer's tickets


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def day(dt):
    return dt.strftime("%Y-%m-%d")


def money(sym, x):
    return f"{sym}{x:,.2f}"


def rand_dt(r, start, end):
    span = int((end - start).total_seconds() // 60)
    return (start + timedelta(minutes=r.randrange(span))).replace(second=0)


def make_people(r):
    firsts, lasts = FIRST[:], LAST[:]
    r.shuffle(firsts)
    r.shuffle(lasts)
    n = len(firsts)  # pairing below gives 90 distinct names; neighbours never share a first or last name
    people = []
    for i in range(90):
        f, l = firsts[i % n], lasts[(7 * i + i // n) % n]
        dom = EMAIL_DOMAINS[i % 3]
        region = ["US", "UK", "AU"][r.randrange(3)]
        if region == "US":
            phone = f"+1 {r.choice([415, 212, 312, 617, 206])} 555 01{r.randint(0, 99):02d}"
        elif region == "UK":
            phone = f"+44 20 7946 0{r.randint(0, 999):03d}"
        else:
            phone = f"+61 491 570 {r.randint(100, 999)}"
        email = f"{f.lower()}.{l.lower().replace(chr(39), '')}@{dom}"
        people.append({"first": f, "name": f"{f} {l}", "email": email, "phone": phone})
    return people


def build_customers(r, people):
    out = []
    for i, (name, industry, plan, seats, cycle, reg, status, idp) in enumerate(CUSTOMERS, 1):
        cid = f"CUS-{i:03d}"
        region, cur, sym = REGIONS[reg]
        if plan == "Enterprise":
            annual_price, monthly_price = r.choice([24, 25, 26, 27]), None
        else:
            annual_price, monthly_price = LIST_PRICE[(plan, cur)]
        c = dict(id=cid, name=name, industry=industry, plan=plan, seats=seats, cycle=cycle, reg=reg, region=region,
                 cur=cur, sym=sym, status=status, idp=idp, am=ACCOUNT_MANAGERS[i % len(ACCOUNT_MANAGERS)],
                 contacts=[people[2 * i], people[2 * i + 1]], note=r.choice(NOTES),
                 since=day(rand_dt(r, datetime(2019, 1, 1, tzinfo=timezone.utc), datetime(2025, 12, 1, tzinfo=timezone.utc))))
        c["pool"] = seats * POOL_PER_SEAT_TB[plan]
        c["used"] = round(c["pool"] * r.uniform(0.25, 0.9), 1)
        if cycle == "annual":
            c["cycle_amount"] = seats * annual_price * 12
            c["renewal"] = day(rand_dt(r, datetime(2026, 12, 1, tzinfo=timezone.utc), datetime(2027, 10, 30, tzinfo=timezone.utc)))
        elif cycle == "monthly":
            c["cycle_amount"] = seats * monthly_price
            c["renewal"] = day(rand_dt(r, datetime(2026, 11, 21, tzinfo=timezone.utc), datetime(2026, 12, 19, tzinfo=timezone.utc)))
        else:
            c["cycle_amount"], c["renewal"] = 0, ""
        ym = lambda dt: dt.strftime("%Y-%m")
        if status == "suspended":
            d = rand_dt(r, datetime(2026, 10, 20, tzinfo=timezone.utc), datetime(2026, 11, 14, tzinfo=timezone.utc))
            c["event"] = dict(date=d, inv=f"INV-{ym(d - timedelta(days=14))}-{r.randint(1000, 9999)}")
            status_text = (f"suspended since {day(d)} for an unpaid balance: invoice {c['event']['inv']} for {money(sym, c['cycle_amount'])} "
                           f"failed with E-3301 and was not paid within 14 days. Data is retained until {day(d + timedelta(days=60))}.")
        elif status == "past_due":
            d = rand_dt(r, datetime(2026, 11, 10, tzinfo=timezone.utc), datetime(2026, 11, 18, tzinfo=timezone.utc))
            c["event"] = dict(date=d, inv=f"INV-{ym(d)}-{r.randint(1000, 9999)}")
            status_text = (f"past due: invoice {c['event']['inv']} for {money(sym, c['cycle_amount'])} failed with E-3301 on {day(d)}. "
                           f"Automatic retries run 3, 5 and 7 days after the first failure; the team will be suspended on "
                           f"{day(d + timedelta(days=14))} if the invoice is still unpaid.")
        elif status == "cancelled":
            d = rand_dt(r, datetime(2026, 9, 1, tzinfo=timezone.utc), datetime(2026, 9, 30, tzinfo=timezone.utc))
            c["event"] = dict(date=d)
            status_text = (f"cancelled; the paid period ended on {day(d)}. Files are retained until {day(d + timedelta(days=90))} and the former "
                           f"owner can restore the team at larkspur.example/restore until then.")
        elif status == "trial":
            d = rand_dt(r, datetime(2026, 11, 9, tzinfo=timezone.utc), datetime(2026, 11, 16, tzinfo=timezone.utc))
            c["event"] = dict(date=d)
            status_text = (f"Business trial with {seats} users started on {day(d)} and ends on {day(d + timedelta(days=14))}. "
                           f"The trial can be extended once by 7 days. No payment method on file.")
        else:
            status_text = "active, in good standing."
        c["status_text"] = status_text
        if status == "trial":
            billing = "Plan: Business trial (no charges yet)."
        else:
            per = "year" if cycle == "annual" else "month"
            billing = (f"Plan: {plan} with {seats} paid seats, billed {'annually' if cycle == 'annual' else 'monthly'} "
                       f"({money(sym, c['cycle_amount'])} per {per}, {cur}). Next renewal date: {c['renewal']}.")
        sso = f"SSO enabled with {idp}." if idp else "SSO not enabled."
        c["text"] = (f"{name} ({cid}) is a {industry}, a Larkspur customer since {c['since']}. {billing} "
                     f"Account status: {status_text} Data region: {region}. {sso} Storage used: {c['used']} TB of {c['pool']} TB pooled. "
                     f"Account manager: {c['am']}. Notes: {c['note']}")
        c["updated_at"] = iso(rand_dt(r, datetime(2026, 11, 1, tzinfo=timezone.utc), TODAY))
        out.append(c)
    return out


def customer_qas(c):
    """QA units grounded in the customer profile itself."""
    out = []
    if c["status"] in ("active", "past_due", "suspended"):
        out.append(("profile", qa("billing_policy", [
            "When does our contract renew and how many seats are we paying for?",
            "how many licenses do we have and when is our renewal?",
            "Can you remind me which plan we're on and the renewal date?"],
            f"{c['name']} is on the {c['plan']} plan with {c['seats']} paid seats, and the next renewal date is {c['renewal']}.",
            ["Confirm the requester is an owner or billing admin before sharing contract details.", "Share the plan, seat count and renewal date.",
             "Offer to involve the account manager for renewal questions."], [f"{c['seats']} paid seats", c["renewal"]])))
    ev = c.get("event")
    if c["status"] == "past_due":
        out.append(("past_due", qa("billing_policy", [
            "We got a payment failed email, what's the status of our account?", "is our account at risk? our payment didn't go through",
            "Do we need to do anything about the failed charge?"],
            f"Invoice {ev['inv']} for {money(c['sym'], c['cycle_amount'])} failed with E-3301 on {day(ev['date'])}; it is retried automatically 3, 5 and 7 days after the first failure, and the team will be suspended on {day(ev['date'] + timedelta(days=14))} if it is still unpaid.",
            ["Ask the owner or a billing admin to check the payment method.", f"Pay invoice {ev['inv']} before {day(ev['date'] + timedelta(days=14))}.",
             "Confirm the invoice shows as paid afterwards."], [ev["inv"], day(ev["date"] + timedelta(days=14))])))
    if c["status"] == "trial":
        end = day(ev["date"] + timedelta(days=14))
        out.append(("trial", qa("billing_policy", [
            "When does our trial end and can we extend it?", "how long is left on our business trial? we need a bit more time"],
            f"The Business trial ends on {end}, and it can be extended once by 7 days.",
            ["Confirm the trial has not been extended before.", "Extend it by 7 days if the customer asks before it ends.",
             "Remind the owner to add a payment method before the trial ends."], [end])))
    if c["status"] == "cancelled":
        until = day(ev["date"] + timedelta(days=90))
        out.append(("cancelled", qa("account_reactivation", [
            "We cancelled a while ago but now we need our old files back. Is it too late?", "can we restore our cancelled larkspur team?"],
            f"The paid period ended on {day(ev['date'])} and files are retained until {until}, so the former owner can still restore the team at larkspur.example/restore until then.",
            ["Ask the former owner to sign in at larkspur.example/restore.", "Choose a plan to restore the team.",
             f"Complete the restore before {until}."], [until])))
    return out


# --------------------------------------------------------------------------
# Ticket templates (documents/tickets.parquet). Each returns subject, messages
# [(minutes after start, speaker, text)], and a QA unit grounded in the ticket.
# Speakers: C0 = main contact, C1 = second contact, A = agent, N = internal note.
# --------------------------------------------------------------------------
def inv_no(r, dt):
    return f"INV-{dt:%Y-%m}-{r.randint(1000, 9999)}"


def k_duplicate_charge(c, r, t0, x):
    p, m, inv = c["contacts"][0], money(c["sym"], c["cycle_amount"]), inv_no(r, t0)
    rf, charged, refunded = f"RF-{r.randint(10000, 99999)}", day(t0 - timedelta(days=1)), day(t0 + timedelta(minutes=95))
    uk = c["reg"] == "UK"
    msgs = [(0, "C0", f"Hi, we were charged {m} twice on {charged} for invoice {inv}. Both charges are on the company card. Can you refund one of them? You can call me on {p['phone']}."
             + (f" If it's easier, refund it to our bank account {IBAN_GB}." if uk else "")),
            (95, "A", f"Hi {p['first']}, thanks for flagging this. I can confirm the second charge of {m} on {charged} was a duplicate, and I have refunded it in full today under refund reference {rf}."
             + (" Refunds always go back to the original payment method, so it will return to the card rather than the bank account." if uk else "")
             + " Card refunds take 5 to 10 business days to appear on your statement."),
            (210, "C0", "Great, thanks for sorting it out so quickly.")]
    q = qa("billing_policy", ["Any news on the double charge we reported? When do we get the money back?",
                              "following up on the duplicate payment, was it refunded?", "Did you ever refund the second charge on our card?"],
           f"The duplicate charge of {m} on {charged} was refunded in full on {refunded} under refund reference {rf}; card refunds take 5 to 10 business days to appear.",
           [f"Confirm refund {rf} in the billing system.", "Tell the customer to check their card statement within 5 to 10 business days of the refund.",
            "If it has not appeared by then, investigate with the refund reference."], [m, rf])
    return dict(subject=f"Charged twice for invoice {inv}", msgs=msgs, qa=q)


def k_card_in_ticket(c, r, t0, x):
    p, m, inv = c["contacts"][0], money(c["sym"], c["cycle_amount"]), inv_no(r, t0)
    card, brand = r.choice(TEST_CARDS)
    exp, paid = f"{r.randint(1, 12):02d}/{r.randint(27, 30)}", day(t0 + timedelta(minutes=300))
    msgs = [(0, "C0", f"Our payment failed with E-3301 because the old card expired. The new card is {brand} {card}, expiry {exp}. Please put it on the account and charge invoice {inv}. Thanks, {p['name']}"),
            (40, "A", f"Hi {p['first']}, for your security please never send card details by email or chat. I have flagged your message so the card number is redacted from this ticket. Please add the card yourself in Settings > Billing > Payment method > Replace card and then click Retry payment on invoice {inv} ({m})."),
            (280, "C0", "Done, I added it and clicked Retry payment."),
            (300, "A", f"Confirmed: invoice {inv} for {m} was paid on {paid}. Nothing else is needed from your side.")]
    q = qa("billing_policy", ["Did the payment for our open invoice go through after I changed the card?",
                              "just checking the invoice got paid with the new card", "Is our account all paid up now after the card problem?"],
           f"Yes, invoice {inv} for {m} was paid on {paid} after the new card was added in Settings > Billing > Payment method > Replace card.",
           ["Confirm the invoice shows as paid in the billing system.", "Make sure the card number in the earlier message is redacted from the ticket.",
            "Remind the customer never to send card details by email or chat."], [inv])
    return dict(subject="Payment failed - new card details", msgs=msgs, qa=q)


def k_sepa(c, r, t0, x):
    p, m = c["contacts"][0], money(c["sym"], c["cycle_amount"])
    iban, mnd = r.choice(IBANS_EUR), f"MND-{r.randint(100000, 999999)}"
    collect = t0 + timedelta(days=r.randint(6, 12))
    inv = inv_no(r, collect)
    msgs = [(0, "C0", f"Hello, we would like to switch from card payments to SEPA direct debit. Our IBAN is {iban}, account holder {c['name']}. Please set it up for us. Regards, {p['name']}, {p['phone']}"),
            (65, "A", f"Hi {p['first']}, thank you. We can't set up a mandate from bank details sent by email, so I have not stored the IBAN. Please add it yourself in Settings > Billing > Payment method > SEPA Direct Debit; the mandate is created instantly."),
            (1440, "C0", f"OK, done. It shows mandate reference {mnd}."),
            (1500, "A", f"Perfect, mandate {mnd} is active. Your next invoice {inv} for {m} will be collected by direct debit on {day(collect)}.")]
    q = qa("billing_policy", ["When will the first direct debit be taken from our bank account?", "is the SEPA mandate set up now? when will you collect",
                              "Has the switch to direct debit worked? When is the first collection?"],
           f"SEPA Direct Debit mandate {mnd} is active, and invoice {inv} for {m} will be collected by direct debit on {day(collect)}.",
           [f"Confirm mandate {mnd} is active on the account.", "Tell the customer the collection date and amount.",
            "Remind them not to send bank details by email."], [mnd, day(collect)])
    return dict(subject="Switch to SEPA direct debit", msgs=msgs, qa=q)


def k_suspended(c, r, t0, x):
    p, ev, m = c["contacts"][0], c["event"], money(c["sym"], c["cycle_amount"])
    msgs = [(0, "C0", f"None of us can log in since this morning, it says the account is suspended. We are {c['name']}. What is going on? My number is {p['phone']}."),
            (50, "A", f"Hi {p['first']}, the team was suspended on {day(ev['date'])} because invoice {ev['inv']} for {m} is still unpaid 14 days after the payment failed with E-3301. The owner or a billing admin can still sign in to Settings > Billing > Pay now. Access is restored automatically within 1 hour of a successful payment. Your data is kept until {day(ev['date'] + timedelta(days=60))}."),
            (75, "C0", "Understood. I'm asking our finance team to pay today.")]
    q = qa("account_reactivation", ["We're locked out, it says suspended. How do we get back in?",
                                    "our team account is suspended, what do we owe and how fast can we be back?",
                                    "can't log in, account suspended message. please help us get access back"],
           f"The team was suspended on {day(ev['date'])} because invoice {ev['inv']} for {m} was not paid; paying it in Settings > Billing > Pay now restores access automatically within 1 hour of a successful payment.",
           ["Ask the owner or a billing admin to sign in to Settings > Billing > Pay now.", f"Pay invoice {ev['inv']}.",
            "Wait up to 1 hour for access to be restored automatically."], [ev["inv"], "within 1 hour"], ["KB-028"])
    return dict(subject="Account suspended - can't log in", msgs=msgs, qa=q, t0=ev["date"] + timedelta(hours=3), priority="P2", status="pending")


def k_sso_cert(c, r, t0, x):
    p, ip, idp = c["contacts"][0], r.choice(IPS), c["idp"]
    msgs = [(0, "C0", f"Since this morning everyone gets E-4012 when signing in with {idp}. Our IT team rotated the SAML certificate yesterday. I'm the admin, connecting from {ip}. Urgent please!"),
            (12, "A", f"Hi {p['first']}, E-4012 means the SAML response is signed with a certificate that doesn't match the one saved in Larkspur. Please sign in with the emergency bypass at app.larkspur.example/login?sso=bypass, open Admin Console > Security > SSO and upload the new {idp} certificate. Changes apply within 5 minutes."),
            (31, "C0", "Uploaded it and sign-ins work again. Thanks!"),
            (35, "N", "Resolved by the customer admin within 35 minutes; the admin was reachable, so no P1 page was needed.")]
    q = qa("troubleshooting", ["SSO is broken again after our certificate rotation, what did we do last time?",
                               "E-4012 again for our team, how did we fix this before?", "everyone's getting the SAML signature error again, remind me of the fix"],
           f"Last time the E-4012 errors after a certificate rotation were fixed by signing in via app.larkspur.example/login?sso=bypass and uploading the new {idp} certificate in Admin Console > Security > SSO; changes apply within 5 minutes.",
           ["Have an admin sign in via app.larkspur.example/login?sso=bypass.", f"Upload the new {idp} certificate in Admin Console > Security > SSO.",
            "Ask users to retry after 5 minutes."], ["E-4012", "5 minutes"])
    return dict(subject=f"SSO login failing with E-4012 ({idp})", msgs=msgs, qa=q, priority="P2")


def k_lost_2fa(c, r, t0, x):
    admin, user = c["contacts"]
    msgs = [(0, "C1", f"Hi, my phone fell in the lake and my authenticator app was on it. I don't have the backup codes. I'm {user['name']}, {user['email']}, mobile {user['phone']}."),
            (45, "A", f"Hi {user['first']}, sorry to hear that. Because {c['name']} is on {c['plan']}, your team admin can reset your two-step verification in Admin Console > Members, and you'll set it up again at your next sign-in. I've copied your admin {admin['name']} ({admin['email']})."),
            (120, "C0", "Done, I've reset it."), (190, "C1", "All set up again on my new phone, thanks!")]
    q = qa("security", ["Someone on our team lost their phone with the authenticator again. How was the 2FA reset handled last time?",
                        "another colleague lost their 2fa device, what did we do last time"],
           "Last time the team admin reset the member's two-step verification in Admin Console > Members, and the member set it up again at the next sign-in.",
           ["Ask the team admin to open Admin Console > Members.", "Reset two-step verification for the member.",
            "Have the member set it up again at the next sign-in."], ["Admin Console > Members"])
    return dict(subject="Lost phone with authenticator app", msgs=msgs, qa=q)


def k_suspicious_login(c, r, t0, x):
    who = r.choice(["C0", "C1"])
    p = c["contacts"][int(who[1])]
    ip, city = r.choice(IPS), r.choice(CITIES)
    msgs = [(0, who, f"I got a suspicious sign-in alert: someone signed in to my account from {ip} ({city}) on {day(t0)}. That wasn't me! My email is {p['email']}."),
            (30, "A", f"Hi {p['first']}, thanks for reporting it quickly. I've applied the same steps as Secure my account: all sessions are signed out and a password reset is required at your next sign-in. Please also turn on two-step verification in Settings > Security > Two-step verification. I checked Sign-in activity and found no other unknown sign-in in the last 90 days."),
            (95, who, "Password reset done and 2FA is on now.")]
    q = qa("security", ["Was the suspicious sign-in I reported ever sorted out?", "what did you do about that login from an unknown location on my account?"],
           f"The suspicious sign-in reported on {day(t0)} was handled by signing out all sessions and requiring a password reset, and no other unknown sign-in was found in the last 90 days.",
           ["Confirm the password reset and two-step verification are done.", "Review Sign-in activity for any new unknown sign-in.",
            "Ask the customer to report any new alert straight away."], ["90 days"])
    return dict(subject="Suspicious sign-in alert", msgs=msgs, qa=q, priority="P2")


def k_sync_error(c, r, t0, x):
    u, ver = c["contacts"][1], r.choice(["4.7.3", "4.8.1", "4.8.2"])
    host = f"{u['first'][:2].upper()}-LT-{r.randint(100, 999)}"
    if r.random() < 0.5:
        n = r.randint(12, 140)
        msgs = [(0, "C1", f"My laptop {host} (Windows 11, Larkspur Sync {ver}) shows E-5001 on {n} files in Projects/Archive. They never upload. {u['name']}, {u['phone']}"),
                (70, "A", f"Hi {u['first']}, E-5001 means the full path is longer than 260 characters. Please move the Larkspur folder to C:\\Larkspur in Preferences > Sync > Move folder; that shortens every path by about 40 characters."),
                (400, "C1", f"Moved it and all {n} files uploaded.")]
        q = qa("troubleshooting", ["That sync error on our Windows laptop is back, what fixed it last time?", "remind me how we fixed the E-5001 sync error?"],
               f"Last time the E-5001 errors on {n} files were fixed by moving the Larkspur folder to C:\\Larkspur in Preferences > Sync > Move folder, which brought the paths under 260 characters.",
               ["Move the Larkspur folder to C:\\Larkspur in Preferences > Sync > Move folder.", "Wait for the affected files to upload.",
                "Keep folder names short in deeply nested project folders."], ["E-5001", "260 characters"])
        code = "E-5001"
    else:
        msgs = [(0, "C1", f"Larkspur Sync {ver} on {host} keeps showing E-5003 for our Outlook archive.pst. Can you help? {u['email']}"),
                (55, "A", f"Hi {u['first']}, E-5003 means the file is locked by another program, and Outlook keeps .pst files open. Sync retries every 10 minutes, but it's better to move the .pst out of the Larkspur folder and sync a weekly backup copy instead."),
                (300, "C1", "Moved it out of the folder, the error is gone.")]
        q = qa("troubleshooting", ["That sync error on our laptop is back, what fixed it last time?", "remind me how we fixed the E-5003 sync error?"],
               "Last time the E-5003 error was caused by Outlook keeping the .pst file open, and it was fixed by moving the .pst out of the Larkspur folder and syncing a weekly backup copy instead.",
               ["Move the .pst file out of the Larkspur folder.", "Sync a weekly backup copy instead.",
                "Check that the error is gone after the next retry, which happens every 10 minutes."], ["E-5003", ".pst"])
        code = "E-5003"
    return dict(subject=f"Sync error {code} on {host}", msgs=msgs, qa=q)


def k_api_rate_limit(c, r, t0, x):
    p, dev = c["contacts"]
    limit = {"Starter": 600, "Business": 1200, "Enterprise": 6000}[c["plan"]]
    peak, limit_s = int(limit * r.uniform(1.4, 2.6)) // 10 * 10, f"{limit:,} requests per minute"
    msgs = [(0, "C0", f"Our nightly import job started failing with HTTP 429 and E-7429 around 02:00 UTC. It sends about {peak:,} requests per minute at peak. Developer contact: {dev['name']} ({dev['email']})."),
            (80, "A", f"Hi {p['first']}, on the {c['plan']} plan the API allows {limit_s} across all tokens, so the job goes over the limit at peak. Please honour the Retry-After header and add exponential backoff; spreading the import over a longer window would avoid the errors entirely."),
            (200, "C1", "Thanks, we'll add backoff and spread the job out.")]
    q = qa("troubleshooting", ["Our import job is being throttled by the API again. What limit did you say applies to our plan, and what did you recommend?"],
           f"On the {c['plan']} plan the API allows {limit_s} across all tokens; the recommendation was to honour the Retry-After header, add exponential backoff and spread the import over a longer window.",
           ["Honour the Retry-After header on every 429 response.", "Add exponential backoff to the import job.",
            "Spread the import over a longer window to stay under the limit."], [limit_s])
    return dict(subject="API import failing with E-7429", msgs=msgs, qa=q)


def k_add_seats(c, r, t0, x):
    p, inv = c["contacts"][0], inv_no(r, t0)
    n = r.randint(2, 10 - c["seats"]) if c["plan"] == "Starter" else r.randint(2, 8)
    m = money(c["sym"], round(n * c["cycle_amount"] / c["seats"] * r.uniform(0.2, 0.9), 2))
    msgs = [(0, "C0", f"Please add {n} seats, we have new starters on Monday."),
            (60, "A", f"Hi {p['first']}, seats are normally added in Settings > Billing > Seats by an owner or billing admin; as you're the owner, I've added {n} seats for you now. New seats are prorated to the day for the rest of your billing period, so the charge is {m} on invoice {inv}."),
            (90, "C0", "Thanks!")]
    q = qa("billing_policy", ["How much were we charged when we added seats?", "what was that extra charge after we added seats",
                              "Why is there an odd amount on our latest invoice after adding users?"],
           f"The {n} seats added on {day(t0)} were charged {m}, prorated to the day for the rest of the billing period, on invoice {inv}.",
           [f"Open invoice {inv} with the customer.", "Explain that new seats are prorated to the day for the rest of the billing period.",
            "Confirm the new seat count matches their team size."], [m, inv])
    return dict(subject=f"Add {n} seats", msgs=msgs, qa=q, priority="P4")


def k_vat_reissue(c, r, t0, x):
    p, inv = c["contacts"][0], inv_no(r, t0 - timedelta(days=20))
    prefix, digits = ("DE" if c["reg"] == "EU" else "GB"), f"{r.randint(100000000, 999999999)}"
    vat, reissued = prefix + digits, day(t0 + timedelta(minutes=330))
    msgs = [(0, "C0", f"Our invoice {inv} is missing our VAT number, so our accountant can't book it. VAT ID: {prefix} {digits[:3]} {digits[3:6]} {digits[6:]}. Billing contact: {p['name']}, {p['email']}."),
            (70, "A", f"Hi {p['first']}, please add the VAT ID without spaces in Settings > Billing > Tax details (with spaces it fails with E-3318). Once it is saved I can reissue {inv}, because it is within the last 90 days."),
            (300, "C0", "Added it now."),
            (330, "A", f"Done: invoice {inv} was reissued on {reissued} with VAT ID {vat}. The reissued PDF is in your invoice list and was emailed to your billing contacts.")]
    q = qa("billing_policy", ["Did our invoice ever get reissued with our VAT number on it?"],
           f"Yes, invoice {inv} was reissued on {reissued} with VAT ID {vat}, and the reissued PDF was emailed to the billing contacts.",
           ["Confirm the reissued invoice is in the invoice list.", "Resend the PDF to the accountant if needed.",
            "Remind the customer that only invoices from the last 90 days can be reissued."], [inv, vat])
    return dict(subject=f"VAT number missing on {inv}", msgs=msgs, qa=q, priority="P4")


def k_data_export(c, r, t0, x):
    p = c["contacts"][0]
    old, parts = t0 - timedelta(days=r.randint(9, 14)), r.randint(3, 14)
    ready_min = r.randint(10, 22) * 60
    until = day(t0 + timedelta(minutes=ready_min) + timedelta(days=7))
    msgs = [(0, "C0", f"The export download links we got on {day(old)} give E-8003 now. We need the full export for our records. {p['name']}, {p['phone']}"),
            (50, "A", f"Hi {p['first']}, export download links are valid for 7 days, so those have expired. I've started a new export for you from Admin Console > Data > Export."),
            (ready_min, "A", f"The new export is ready: {parts} ZIP parts of up to 50 GB each. The download links are valid for 7 days, until {until}.")]
    q = qa("data_export", ["We asked for a fresh export after the old links expired. How many parts is it, and until when can we download it?"],
           f"The new export is ready in {parts} ZIP parts, and its download links are valid for 7 days, until {until}.",
           ["Download all ZIP parts from the ready email.", f"Finish downloading before {until}.",
            "If the links expire again, start a new export."], [until])
    return dict(subject="Export links expired (E-8003)", msgs=msgs, qa=q)


def k_refund_outside_window(c, r, t0, x):
    p = c["contacts"][0]
    renew = datetime.fromisoformat(c["renewal"]).replace(tzinfo=timezone.utc) - timedelta(days=365) + timedelta(hours=9)
    t0 = min(renew + timedelta(days=r.randint(38, 75), minutes=r.randint(0, 600)), TODAY - timedelta(days=4))
    days_after = (t0 - renew).days
    assert days_after > 30, "refund ticket must fall outside the 30-day window"
    n = r.randint(8, 12)
    m = money(c["sym"], n * c["cycle_amount"] / c["seats"])
    approved = r.random() < 0.5
    outcome = (f"Good news: our Support Lead approved a one-time exception. {m} has been refunded to your card; refunds take 5 to 10 business days to appear."
               if approved else
               f"Our Support Lead reviewed the request and we can't make an exception this time. We have scheduled your seat count to drop by {n} seats at your next renewal on {c['renewal']}.")
    msgs = [(0, "C0", f"We renewed on {day(renew)}, but {n} of our seats have been unused since a team was cut. Can we get {m} back for those seats? Call me at {p['phone']} if needed."),
            (90, "A", f"Hi {p['first']}, annual plans can be refunded in full within 30 days of a renewal, and your renewal was {days_after} days ago. I've escalated your request to our Support Lead for an exception."),
            (100, "N", f"Amount {m} is above the Tier 2 limit of $1,000, so Support Lead approval is required."),
            (2900, "A", outcome)]
    tail = ("who approved a one-time exception; refunds take 5 to 10 business days to appear." if approved else
            f"who declined the exception; instead the seat count drops by {n} seats at the next renewal on {c['renewal']}.")
    q = qa("escalation", ["What was decided about our refund request for the unused seats?"],
           f"The {m} refund request came {days_after} days after the renewal, outside the 30-day window, so it was escalated to the Support Lead, {tail}",
           ["Share the Support Lead's decision with the customer.", "Point to the 30-day refund window for annual renewals.",
            "Offer to review the seat count before the next renewal."], [m])
    return dict(subject="Refund for unused seats", msgs=msgs, qa=q, t0=t0)


def k_downgrade(c, r, t0, x):
    p = c["contacts"][0]
    msgs = [(0, "C0", "We'd like to move from Business to Starter when our current term ends. We don't really use the admin features."),
            (75, "A", f"Hi {p['first']}, done: the downgrade to Starter is scheduled for {c['renewal']}, the end of your current billing period, and you keep Business features until then. Note that links with a password are disabled at downgrade time, and Starter has a 10-user cap (you have {c['seats']} seats)."),
            (130, "C0", "Perfect, thanks.")]
    q = qa("billing_policy", ["When does our switch from Business to Starter actually take effect?"],
           f"The downgrade to Starter is scheduled for {c['renewal']}, the end of the current billing period; Business features stay until then, and links with a password are disabled at downgrade time.",
           ["Confirm the scheduled downgrade date with the customer.", "Remind them to replace password-protected links before that date.",
            "Check the team stays within the 10-user cap."], [c["renewal"]])
    return dict(subject="Downgrade to Starter at renewal", msgs=msgs, qa=q, t0=rand_dt(r, TODAY - timedelta(days=40), TODAY - timedelta(days=2)), priority="P4")


def k_offboarding(c, r, t0, x):
    p, recv, leaver = c["contacts"][0], c["contacts"][1], x["leaver"]
    size = r.randint(40, 900)
    msgs = [(0, "C0", f"{leaver['name']} ({leaver['email']}) left us last Friday. We removed the account but forgot to choose who gets the files. Can they go to {recv['name']}?"),
            (65, "A", f"Hi {p['first']}, no problem: removed members' files are kept for 90 days, and an admin can transfer them from Admin Console > Members > Removed. I've done it for you now: {size} GB moved to {recv['name']}, in a folder named after the former member."),
            (120, "C0", "Great, thank you!")]
    q = qa("data_export", ["We removed a member without choosing who gets their files. What happened to those files in the end?"],
           f"The removed member's files ({size} GB) were transferred to another member on {day(t0 + timedelta(minutes=65))} from Admin Console > Members > Removed; removed members' files are kept for 90 days.",
           ["Confirm the receiving member can see the transferred folder.", "Use Admin Console > Members > Removed for any other removed member within 90 days.",
            "Choose a recipient during removal next time."], [f"{size} GB"])
    return dict(subject="Transfer files of a former employee", msgs=msgs, qa=q, priority="P4")


def k_storage_full(c, r, t0, x):
    p, k = c["contacts"][0], r.randint(1, 5)
    msgs = [(0, "C0", "Everyone gets E-2107 and sync has stopped. We're in the middle of a big project, please help!"),
            (25, "A", f"Hi {p['first']}, E-2107 means your pooled storage is full. All files stay viewable and downloadable. The fastest fix is a storage add-on in Settings > Billing > Storage add-ons; the space is available within 5 minutes."),
            (70, "C0", f"We bought {k} x 1 TB add-on packs."),
            (80, "A", f"Confirmed, {k} TB of add-on storage is active and sync has resumed on its own.")]
    q = qa("troubleshooting", ["We hit the storage limit again, what did we do last time?", "Storage full error is back for us, how did we fix it before?"],
           f"Last time the E-2107 storage-full errors were fixed by buying {k} TB of add-on storage in Settings > Billing > Storage add-ons, and sync resumed on its own.",
           ["Check current usage against the pooled storage.", "Buy more add-on storage in Settings > Billing > Storage add-ons or clean up large files.",
            "Confirm sync resumes on its own."], ["E-2107"])
    return dict(subject="E-2107 storage full", msgs=msgs, qa=q, priority="P2")


TICKET_KINDS = {  # kind: (template, eligibility)
    "duplicate_charge": (k_duplicate_charge, lambda c: c["status"] != "trial" and c["cycle_amount"] <= 20000),
    "card_in_ticket": (k_card_in_ticket, lambda c: c["status"] in ("active", "past_due")),
    "sepa": (k_sepa, lambda c: c["cur"] == "EUR" and c["status"] == "active"),
    "suspended": (k_suspended, lambda c: c["status"] == "suspended"),
    "sso_cert": (k_sso_cert, lambda c: bool(c["idp"])),
    "lost_2fa": (k_lost_2fa, lambda c: c["plan"] in ("Business", "Enterprise")),
    "suspicious_login": (k_suspicious_login, lambda c: True),
    "sync_error": (k_sync_error, lambda c: True),
    "add_seats": (k_add_seats, lambda c: c["status"] == "active" and (c["plan"] != "Starter" or c["seats"] <= 8)),
    "storage_full": (k_storage_full, lambda c: c["plan"] != "Starter" and c["status"] in ("active", "past_due")),
    "api_rate_limit": (k_api_rate_limit, lambda c: c["status"] == "active"),
    "vat_reissue": (k_vat_reissue, lambda c: c["reg"] in ("EU", "UK") and c["status"] == "active"),
    "data_export": (k_data_export, lambda c: c["plan"] != "Starter" and c["status"] in ("active", "cancelled")),
    "refund_outside_window": (k_refund_outside_window, lambda c: c["cycle"] == "annual" and c["status"] == "active" and c["seats"] >= 15),
    "downgrade": (k_downgrade, lambda c: c["plan"] == "Business" and c["seats"] <= 10 and c["status"] == "active" and c["cycle"] != "trial"),
    "offboarding": (k_offboarding, lambda c: c["status"] == "active"),
}


def build_tickets(r, customers, people):
    tickets, units, next_id = [], [], 1001
    for c in customers:
        required = (["suspended"] if c["status"] == "suspended" else []) + ([FORCED_B[c["id"]]] if c["id"] in FORCED_B else [])
        pool = [k for k, (_, ok) in TICKET_KINDS.items() if ok(c) and k not in required and k != "suspended"]
        r.shuffle(pool)
        kinds = (required + pool)[:max(len(required), r.randint(2, 5))]
        lo, hi = datetime(2026, 3, 1, 8, tzinfo=timezone.utc), TODAY - timedelta(days=2)
        if c["status"] in ("suspended", "cancelled"):
            hi = c["event"]["date"] - timedelta(days=2)
        if c["status"] == "trial":
            lo = c["event"]["date"] + timedelta(hours=2)
        made = []
        for kind in kinds:
            t0 = rand_dt(r, lo, hi)
            t = TICKET_KINDS[kind][0](c, r, t0, {"leaver": r.choice(people[70:])})
            t.setdefault("t0", t0)
            t["kind"] = kind
            made.append(t)
        made.sort(key=lambda t: t["t0"])
        for t in made:
            agent = r.choice(AGENTS)
            names = {"C0": f"{c['contacts'][0]['name']} <{c['contacts'][0]['email']}>",
                     "C1": f"{c['contacts'][1]['name']} <{c['contacts'][1]['email']}>",
                     "A": f"{agent} (Larkspur Support)", "N": f"Internal note by {agent}"}
            lines = [f"Subject: {t['subject']}", f"Customer: {c['name']} ({c['id']})",
                     f"Channel: {r.choice(['email', 'chat', 'web form'])} | Priority: {t.get('priority', 'P3')} | Status: {t.get('status', 'solved')}"]
            last = t["t0"]
            for off, who, msg in t["msgs"]:
                last = t["t0"] + timedelta(minutes=off)
                lines += ["", f"[{last:%Y-%m-%d %H:%M} UTC] {names[who]}:", msg]
            tid = f"TCK-{next_id}"
            next_id += 1
            tickets.append(dict(id=tid, title=t["subject"], text="\n".join(lines), source="ticket", updated_at=iso(last),
                                customer_id=c["id"], visibility="internal", valid_from="", valid_until="",
                                url=f"https://support.larkspur.example/tickets/{tid}"))
            units.append(dict(customer=c, doc_id=tid, kind=t["kind"], qa=t["qa"]))
        if c["id"] == BAD_EMPTY_TICKET_CUSTOMER:  # deliberately bad record #1: empty text
            tid = f"TCK-{next_id}"
            next_id += 1
            tickets.append(dict(id=tid, title="Re: (no subject)", text="", source="ticket", updated_at=iso(hi),
                                customer_id=c["id"], visibility="internal", valid_from="", valid_until="",
                                url=f"https://support.larkspur.example/tickets/{tid}"))
    return tickets, units


# --------------------------------------------------------------------------
# SFT / eval extras
# --------------------------------------------------------------------------
N_GENERIC, N_CUSTOMER = 168, 36  # plus len(ABSTAIN_SFT) * 2 abstentions
ABSTAIN_SFT = [  # questions the knowledge base cannot answer (task type, two phrasings)
    ("security", ["Do you sign a HIPAA business associate agreement? We're a clinic.", "is larkspur HIPAA compliant, can we get a BAA signed"]),
    ("how_to", ["Can we put our own logo and colors on the Larkspur login page?", "Is custom branding of the sign-in page possible for our company?"]),
    ("escalation", ["Do you have an office in Toronto we could visit for a meeting?", "where is your nearest office? we'd like to meet in person in Toronto"]),
    ("troubleshooting", ["Is there a maximum number of comments on a single file?", "how many comments can one file have before it stops working"]),
    ("troubleshooting", ["Can I edit AutoCAD DWG drawings directly in the Larkspur browser app?", "does the web app open and edit .dwg files"]),
    ("security", ["Is Larkspur FedRAMP authorized? We're a US federal contractor.", "do you have FedRAMP moderate"]),
    ("escalation", ["Would Larkspur sponsor our university hackathon next spring?", "Looking for sponsors for a student hackathon, is Larkspur interested?"]),
    ("how_to", ["Is there a Notion integration?", "can I connect larkspur to our notion workspace"]),
    ("security", ["Are your data centers powered by renewable energy?", "what is larkspur's carbon footprint per TB stored"]),
    ("how_to", ["Can we install Larkspur on our own servers on-premise?", "is there a self-hosted version of larkspur"]),
    ("billing_policy", ["Do you have a referral program that pays commission?", "If I refer another company to Larkspur do I get anything?"]),
    ("how_to", ["Is the web app WCAG 2.1 AA conformant for screen reader users?", "do you have an accessibility conformance report (VPAT)?"]),
    ("troubleshooting", ["Is there a Larkspur app for smart TVs so we can show videos in the meeting room?", "can I open larkspur on an android tv"]),
    ("how_to", ["Does Larkspur search the text inside scanned PDFs (OCR)?", "can search find words in scanned documents and photos of receipts"]),
]
EVAL_UNANSWERABLE = ["How many employees does Larkspur Cloud have in total?",
                     "Can our team get a dedicated static IP address for outgoing webhook calls from Larkspur?",
                     "Will Larkspur host a user conference next year, and in which city?",
                     "Can a Larkspur folder be embedded as a live widget on a WordPress website?",
                     "Does Larkspur offer built-in e-signature workflows for contracts?"]
EVAL_INCIDENTS = [
    ("incident_ongoing", ["INC-005"], qa("troubleshooting", ["A customer in Germany says their desktop app has been very slow to sync since yesterday. Is there a known problem?"],
        "Yes, there is an ongoing incident (INC-005): Larkspur Sync desktop clients in the European Union (Frankfurt) region may take up to 45 minutes to upload or download changes, while the web app, mobile apps and API work normally.",
        ["Share status.larkspur.example/incidents/INC-005 with the customer.", "For urgent files, suggest the web app at app.larkspur.example.",
         "Reassure them that no files are lost and pending changes sync automatically."], ["INC-005", "45 minutes"])),
    ("incident_ongoing", ["INC-005"], qa("troubleshooting", ["Should a user in the Frankfurt region reinstall the desktop client to fix the current sync delays?"],
        "No. During the ongoing incident INC-005, reinstalling Larkspur Sync or rebuilding the sync index does not help and delays recovery; urgent files can be uploaded or downloaded through the web app at app.larkspur.example.",
        ["Advise the user not to reinstall or rebuild the sync index.", "Use the web app at app.larkspur.example for urgent files.",
         "Follow the updates every 60 minutes at status.larkspur.example/incidents/INC-005."], ["app.larkspur.example", "INC-005"])),
    ("incident_expired", ["INC-002"], qa("troubleshooting", ["Is SSO sign-in through Okta still failing with E-4012 like it was on June 22?"],
        "No, incident INC-002, in which SSO sign-ins failed with E-4012 for teams using Okta, is resolved; it was resolved on 2026-06-22 at 18:40 UTC.",
        ["Tell the customer the June incident is resolved.", "Check status.larkspur.example for any current incident.",
         "If sign-ins fail now, treat it as a new issue and collect the time and error code."], ["resolved", "2026-06-22"])),
]
UPDATED_OVERRIDE = {"INC-005": "2026-11-19T10:00:00Z", "INC-006": "2026-08-02T12:30:00Z", "INC-007": "2026-11-21T09:30:00Z"}

OPENERS = ["", "", "", "Hi,", "Hello,", "Hi there,", "hey", "Good morning,", "Hello Larkspur team,", "Hi support,",
           "Quick question:", "Urgent:", "Sorry to bother you again,", "Hope you can help."]
PII_INTROS = ["Hi, this is {name} ({email}, {phone}).", "My name is {name}, account email {email}.", "{name} here, you can reach me at {phone}.",
              "This is {name} from {company}.", "Writing for {company}, contact me at {email} or {phone}."]
CLOSERS = ["", "", "", "Thanks!", "thx", "Thanks in advance.", "Appreciate the help.", "Please advise.",
           "This is blocking our team, please help ASAP.", "Cheers, {first}", "Regards, {name}", "Kind regards,\n{name}", "Sent from my iPhone"]
PASTE = ["{t}", "{t}", "{t}", "{t}", "{t}", "Customer wrote: \"{t}\"", "[chat] Customer: {t}", "From: {email}\n\n{t}"]

# Changes snapshot (changes/documents/): edits are (old, new) replacements that must match exactly.
KB_EDITS = {
    "KB-001": ([("$12 per user per month billed annually or $15 billed monthly", "$14 per user per month billed annually or $17 billed monthly")],
               "2026-11-22T09:00:00Z", None),
    "KB-002": ([("$12 per user per month when billed annually ($144 per user per year) or $15 per user per month",
                 "$14 per user per month when billed annually ($168 per user per year) or $17 per user per month")],
               "2026-11-22T09:05:00Z", "New prices apply from 2026-11-22. Existing Business teams keep their current price until their first renewal on or after 2027-02-01 (see Business plan price change, November 2026)."),
    "KB-054": ([("Larkspur Sync 4.8.2 is", "Larkspur Sync 4.9.0 is"), ("macOS 13 Ventura or later", "macOS 14 Sonoma or later"),
                ("or macOS 13 or later", "or macOS 14 or later"), ("Fedora 39", "Fedora 40")], "2026-11-22T09:10:00Z", None),
}
KB_DELETED = ["KB-071", "KB-088"]
KB_ADDED = [
    ("KB-089", "Business plan price change (November 2026)", "plans", "2026-11-22T09:15:00Z", [
        "From 2026-11-22, the Business plan costs $14 per user per month billed annually ($168 per user per year) or $17 per user per month billed monthly for new subscriptions. The previous price was $12 billed annually and $15 billed monthly.",
        "Existing Business teams keep their current price until their first renewal on or after 2027-02-01. The account owner and billing contacts get an email 60 days before that renewal showing the new amount.",
        "Nothing else changes in the plan: storage, version history and add-on prices stay the same. Teams on monthly billing that switch to annual billing before 2027-02-01 keep the current price for the whole annual term."]),
    ("KB-090", "Shared link activity report", "sharing", "2026-11-22T09:20:00Z", [
        "Business and Enterprise admins can download a report of every active shared link in Admin Console > Sharing > Link report.",
        "The CSV lists the link owner, file path, creation date, expiry date, whether a password is set, and the number of views in the last 30 days. Reports are generated within 15 minutes and cover up to 100,000 links; larger teams receive several files.",
        "Use the report to find links without an expiry date before you tighten the default expiry in Admin Console > Sharing > Links."]),
]
CHANGED_QUESTION = ("How much does the Business plan cost per user per month on annual billing?", "$12", "$14")


# --------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------
def slugify(s):
    return re.sub(r"[^a-z0-9]+", "-", s.lower()).strip("-")


def fmt_response(summary, steps, gold):
    assert 2 <= len(steps) <= 5
    return ("Summary: " + summary + "\nSteps:\n" + "\n".join(f"{i}. {s}" for i, s in enumerate(steps, 1))
            + "\nSources: " + " ".join(f"[{g}]" for g in gold))


def add_typos(r, text):
    words = text.split(" ")
    idx = [i for i, w in enumerate(words) if w.isalpha() and len(w) >= 5]
    for i in r.sample(idx, min(len(idx), r.choice([1, 1, 2]))):
        w, j = words[i], r.randrange(1, len(words[i]) - 2)
        words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2:] if r.random() < 0.5 else w[:j] + w[j + 1:]
    return " ".join(words)


AGENT_NOTE = ["{q}", "Agent note: {q}", "Internal question from Tier 1: {q}", "(agent) {q}"]


def wrap_prompt(r, q, persona=None, company=""):
    """Turn a bare question into a customer message as an agent would paste it.

    Questions marked "AGENT:" are the agent's own notes (internal policy questions) and get no customer framing.
    """
    if q.startswith("AGENT:"):
        q = q[len("AGENT:"):]
        return r.choice(AGENT_NOTE).format(q=add_typos(r, q) if r.random() < 0.2 else q)
    p = persona or {"name": "", "first": "", "email": "", "phone": ""}
    fill = dict(p, company=company or "our company")
    opener = r.choice(OPENERS)
    text = opener + ("\n" if opener.endswith(",") else " ") if opener else ""
    if persona and r.random() < 0.6:
        intro = r.choice([i for i in PII_INTROS if company or "{company}" not in i])
        text = ("" if intro.startswith("Hi") else text) + intro.format(**fill) + " "
    text += add_typos(r, q) if r.random() < 0.25 else q
    closer = r.choice(CLOSERS)
    if not persona and "{" in closer:
        closer = "Thanks!"
    if closer:
        text += (" " if text[-1] in ".?!" else "\n") + closer.format(**fill)
    if r.random() < 0.08 and not re.search(r"\d", text):
        text = text.lower()
    paste = r.choice(PASTE)
    if "{email}" in paste and not persona:
        paste = "{t}"
    return paste.format(t=text, email=p["email"])


def grounded_units():
    """(doc_id, qa) for every document-grounded QA unit in the data tables."""
    for a in KB:
        for u in a["qa"]:
            yield a["id"], u
    for h in HTML_PAGES:
        for u in h["qa"]:
            yield h["id"], u
    for p in POLICIES:
        for u in p["qas"]:
            yield p["id"], u
    for i in INCIDENTS:
        for u in i.get("qas", []):
            yield i["id"], u


def build_sft(r, people, customers, ticket_units):
    generic = [([d] + u["extra"], u) for d, u in grounded_units() if d not in HOLDOUT and d not in NO_GOLD]
    counts, order = [1] * len(generic), list(range(len(generic)))
    r.shuffle(order)
    order.sort(key=lambda i: generic[i][1]["task"] != "account_reactivation")  # rarest task first
    while sum(counts) < N_GENERIC:
        grew = False
        for i in order:
            if sum(counts) < N_GENERIC and counts[i] < len(generic[i][1]["qs"]):
                counts[i] += 1
                grew = True
        if not grew:
            raise SystemExit("not enough question phrasings for N_GENERIC")
    rows, personas = [], people[62:90]
    for (gold, u), k in zip(generic, counts):
        for j in range(k):
            persona = r.choice(personas) if r.random() < 0.35 else None
            rows.append(dict(prompt=wrap_prompt(r, u["qs"][j], persona), response=fmt_response(u["summary"], u["steps"], gold),
                             task_type=u["task"], gold_doc_ids=gold))
    pool = [(c, [c["id"]] + u["extra"], u) for c in customers if c["id"] not in EVAL_CUSTOMERS for _, u in customer_qas(c)]
    pool += [(t["customer"], [t["doc_id"]] + t["qa"]["extra"], t["qa"]) for t in ticket_units
             if t["customer"]["id"] not in EVAL_CUSTOMERS and t["kind"] not in KINDS_B]
    r.shuffle(pool)
    pool.sort(key=lambda item: item[2]["task"] != "account_reactivation")
    per_customer, chosen = {}, []
    for c, gold, u in pool:
        if len(chosen) < N_CUSTOMER and per_customer.get(c["id"], 0) < 3:
            per_customer[c["id"]] = per_customer.get(c["id"], 0) + 1
            chosen.append((c, gold, u))
    for c, gold, u in chosen:
        persona = r.choice(c["contacts"]) if r.random() < 0.6 else None
        rows.append(dict(prompt=wrap_prompt(r, r.choice(u["qs"]), persona, c["name"]), response=fmt_response(u["summary"], u["steps"], gold),
                         task_type=u["task"], customer_id=c["id"], gold_doc_ids=gold))
    for task, qs in ABSTAIN_SFT:
        for q in qs:
            persona = r.choice(personas) if r.random() < 0.3 else None
            rows.append(dict(prompt=wrap_prompt(r, q, persona), response=ABSTAIN, task_type=task, gold_doc_ids=[]))
    r.shuffle(rows)
    out = []
    for i, row in enumerate(rows, 1):
        rec = {"id": f"SFT-{i:04d}", "prompt": row["prompt"], "response": row["response"], "task_type": row["task_type"]}
        if row.get("customer_id"):
            rec["customer_id"] = row["customer_id"]
        rec["gold_doc_ids"] = row["gold_doc_ids"]
        out.append(rec)
    return out


def build_eval(r, ticket_units):
    items = [dict(category="kb_holdout", q=u["qs"][0], gold=[d] + u["extra"], u=u) for d, u in grounded_units() if d in HOLDOUT]
    items += [dict(category="customer", q=t["qa"]["qs"][0], gold=[t["doc_id"]] + t["qa"]["extra"], u=t["qa"], customer_id=t["customer"]["id"])
              for t in ticket_units if FORCED_B.get(t["customer"]["id"]) == t["kind"]]
    items += [dict(category=cat, q=u["qs"][0], gold=gold, u=u) for cat, gold, u in EVAL_INCIDENTS]
    items += [dict(category="unanswerable", q=q, gold=[], u=None) for q in EVAL_UNANSWERABLE]
    r.shuffle(items)
    out = []
    for i, it in enumerate(items, 1):
        u = it["u"]
        rec = {"id": f"EVAL-{i:03d}", "question": it["q"],
               "reference_answer": fmt_response(u["summary"], u["steps"], it["gold"]) if u else ABSTAIN,
               "gold_doc_ids": it["gold"]}
        if it.get("customer_id"):
            rec["customer_id"] = it["customer_id"]
        rec["must_include"] = u["mi"] if u else []
        rec["category"] = it["category"]
        out.append(rec)
    return out


def doc_row(doc_id, title, text, source, updated, url, customer_id="", visibility="public", valid_from="", valid_until="", **extra):
    row = dict(id=doc_id, title=title, text=text, source=source, updated_at=updated, customer_id=customer_id,
               visibility=visibility, valid_from=valid_from, valid_until=valid_until, url=url)
    row.update(extra)
    return row


def kb_rows():
    rows = []
    for a in KB:
        rows.append(doc_row(a["id"], a["title"], a["text"], "kb", a["updated_at"], f"{KB_URL}/{a['id'].lower()}-{slugify(a['title'])}", category=a["category"]))
        if a["id"] == KB_DUPLICATE["id"]:
            d = KB_DUPLICATE
            rows.append(doc_row(d["id"], d["title"], d["text"], "kb", d["updated_at"], f"{KB_URL}/{d['id'].lower()}-lan-sync-draft", category=d["category"]))
    return rows


def incident_rows(incidents):
    return [doc_row(i["id"], i["title"], i["text"], "incident", UPDATED_OVERRIDE.get(i["id"], i["end"] or i["start"]),
                    f"https://status.larkspur.example/incidents/{i['id']}", valid_from=i["start"], valid_until=i["end"], status=i["status"])
            for i in incidents]


def changed_kb_rows(rows):
    out = []
    for row in rows:
        row = dict(row)
        if row["id"] in KB_DELETED:
            continue
        if row["id"] in KB_EDITS and row["title"] != KB_DUPLICATE["title"]:
            reps, updated, extra_para = KB_EDITS[row["id"]]
            for old, new in reps:
                assert old in row["text"], (row["id"], old)
                row["text"] = row["text"].replace(old, new)
            if extra_para:
                row["text"] += "\n\n" + extra_para
            row["updated_at"] = updated
        out.append(row)
    for doc_id, title, cat, updated, paras in KB_ADDED:
        out.append(doc_row(doc_id, title, "\n\n".join(paras), "kb", updated, f"{KB_URL}/{doc_id.lower()}-{slugify(title)}", category=cat))
    return out


def html_text(page):
    parts = []
    for kind, val in page["blocks"]:
        parts.append("\n".join(f"- {v}" for v in val) if kind == "ul" else val)
    return "\n\n".join(parts)


def render_html(page):
    esc = lambda s: html.escape(s, quote=False)
    blocks = []
    for kind, val in page["blocks"]:
        if kind == "ul":
            blocks.append("      <ul>\n" + "\n".join(f"        <li>{esc(v)}</li>" for v in val) + "\n      </ul>")
        else:
            blocks.append(f"      <{kind}>{esc(val)}</{kind}>")
    updated = datetime.fromisoformat(page["updated"].replace("Z", "+00:00"))
    related = [h for h in HTML_PAGES if h["id"] != page["id"]][:3]
    url = f"https://help.larkspur.example/hc/{page['slug']}"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>{esc(page['title'])}</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="tandem:id" content="{page['id']}">
  <meta name="tandem:source" content="kb">
  <meta name="tandem:updated_at" content="{page['updated']}">
  <meta name="tandem:visibility" content="public">
  <meta name="tandem:url" content="{url}">
  <link rel="stylesheet" href="/assets/help-center.css">
</head>
<body>
  <div class="cookie-banner">We use cookies to improve the Help Center. <a href="/cookies">Manage cookies</a></div>
  <header class="site-header">
    <nav><a href="/">Larkspur Help Center</a> | <a href="/hc/billing">Billing</a> | <a href="/hc/security">Security</a> | <a href="/hc/apps">Apps</a> | <a href="https://app.larkspur.example/login">Sign in</a></nav>
    <form class="search" action="/search"><input type="search" name="q" placeholder="Search the Help Center"></form>
  </header>
  <nav class="breadcrumbs"><a href="/">Help Center</a> &rsaquo; <a href="/hc/{slugify(page['section'])}">{esc(page['section'])}</a> &rsaquo; {esc(page['title'])}</nav>
  <main>
    <article>
      <h1>{esc(page['title'])}</h1>
      <p class="article-meta">Updated {updated:%B} {updated.day}, {updated.year}</p>
{chr(10).join(blocks)}
    </article>
    <aside class="feedback">Was this article helpful? <button>Yes</button> <button>No</button></aside>
    <aside class="related">
      <h2>Related articles</h2>
      <ul>
{chr(10).join(f'        <li><a href="/hc/{h["slug"]}">{esc(h["title"])}</a></li>' for h in related)}
      </ul>
    </aside>
  </main>
  <footer class="site-footer">
    <p><a href="/cookies">Cookie settings</a> | <a href="/privacy">Privacy</a> | <a href="/terms">Terms of Service</a> | &copy; 2026 Larkspur Cloud, Inc.</p>
    <p>Larkspur Cloud, Inc. is a fictional company used in the tandem sample dataset.</p>
  </footer>
  <script>window.dataLayer = window.dataLayer || []; window.dataLayer.push({{"page": "{page['id']}"}});</script>
</body>
</html>
"""


def render_policy(p):
    front = {"id": p["id"], "title": p["title"], "source": "policy", "updated_at": p["updated"], "visibility": p["visibility"],
             "url": f"https://legal.larkspur.example/policies/{p['slug']}", "owner": p["owner"]}
    return "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True) + "---\n" + f"# {p['title']}\n{p['body'].rstrip()}\n"


def demo_script(eval_rows):
    """What `make demo` asks: a customer's question, then the question whose answer changes."""
    asked = next(r for r in eval_rows if r["id"] == "EVAL-040")
    q, old, new = CHANGED_QUESTION
    return yaml.safe_dump({"question": asked["question"], "customer_id": asked["customer_id"],
                           "changed_question": q, "old_fact": old, "new_fact": new}, sort_keys=False)


def changes_readme(kb_before, kb_after):
    before = {r["id"]: r for r in kb_before}
    edited = ", ".join(f"{k} ({before[k]['title']})" for k in KB_EDITS)
    added = ", ".join(f"{d} ({t})" for d, t, *_ in KB_ADDED)
    deleted = ", ".join(f"{k} ({before[k]['title']})" for k in KB_DELETED)
    q, old, new = CHANGED_QUESTION
    return f"""# Re-indexing demo snapshot

Generated by `data/sample/generate.py`. These are full replacement files: copy
`changes/documents/kb_articles.jsonl` and `changes/documents/incidents.jsonl` over the files of the
same name in `data/sample/documents/` and run the indexer again.

## kb_articles.jsonl

- Edited (text and `updated_at` changed to 2026-11-22): {edited}.
  - KB-001 and KB-002: Business plan price $12 -> $14 per user per month billed annually, $15 -> $17 billed monthly.
  - KB-054: current desktop version 4.8.2 -> 4.9.0, minimum macOS 13 -> macOS 14, Fedora 39 -> 40.
- Added: {added}.
- Deleted (simply absent from the file): {deleted}.
- Everything else is byte-identical, including the deliberately duplicated `KB-053` line.

## incidents.jsonl

- Added INC-007 "{NEW_INCIDENT['title']}": ongoing (`valid_from` {NEW_INCIDENT['start']}, `valid_until` empty).
- All other incidents are unchanged (INC-005 is still ongoing; INC-006 is still the invalid-window record).

## Question whose answer changes

Ask before and after re-indexing:

> {q}

- Before: **{old}** per user per month (KB-001, KB-002)
- After: **{new}** per user per month (KB-001, KB-002, KB-089)

Other answers that change: "What is the current version of Larkspur Sync?" (4.8.2 -> 4.9.0, KB-054);
"Are card or SEPA payments in EUR failing right now?" (no incident -> INC-007);
"When is API v2 switched off?" (2027-03-31 from KB-071 -> not in the knowledge base, should abstain).
"""


# --------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------
DOC_COLUMNS = ["id", "title", "text", "source", "updated_at", "customer_id", "visibility", "valid_from", "valid_until", "url"]


def write_text(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def write_jsonl(path, rows):
    write_text(path, "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))


def write_csv(path, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(DOC_COLUMNS)
    for row in rows:
        w.writerow([row[c] for c in DOC_COLUMNS])
    write_text(path, buf.getvalue())


def write_parquet(path, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.table({c: pa.array([row[c] for row in rows], type=pa.string()) for c in DOC_COLUMNS})
    pq.write_table(table, path, compression="snappy")


# --------------------------------------------------------------------------
# Self-checks (run on every generation; any failure aborts)
# --------------------------------------------------------------------------
RESP_RE = re.compile(r"Summary: [^\n]+\nSteps:\n1\. [^\n]+\n2\. [^\n]+(?:\n3\. [^\n]+)?(?:\n4\. [^\n]+)?(?:\n5\. [^\n]+)?"
                     r"\nSources: (?:none|\[[A-Z]+-\d+\](?: \[[A-Z]+-\d+\])?)")
ISO_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
# Concrete facts (money, codes, versions, dates, quantities) that must be backed by a gold document.
_NUM = r"\d{1,3}(?:,\d{3})*(?:\.\d+)?"
FACT_RE = re.compile(rf"\${_NUM}|\bE-\d{{4}}\b|\b\d+\.\d+\.\d+\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b{_NUM}%|\b{_NUM}\s?(?:GB|TB|MB)\b"
                     rf"|\b{_NUM}\s(?:business days|days?|hours?|minutes?|seconds?|months?|years?|seats|users|requests per minute)\b")
PII_RES = [re.compile(r"[\w.+-]+@(?!larkspur\.example)[\w-]+\.[a-z]+"), re.compile(r"\+\d{1,3}(?: \d{2,4}){2,4}"),
           re.compile(r"\b(?:\d{4} ){3}\d{4}\b|\b\d{4} \d{6} \d{5}\b"), re.compile(r"\b[A-Z]{2}\d{2}(?: [A-Z0-9]{4}){3,}"),
           re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")]


def check(cond, msg):
    if not cond:
        raise SystemExit(f"verification failed: {msg}")


def luhn_ok(number):
    digits = [int(d) for d in number if d.isdigit()][::-1]
    return sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(digits)) % 10 == 0


def iban_ok(iban):
    s = iban.replace(" ", "")
    s = s[4:] + s[:4]
    return int("".join(str(int(ch, 36)) for ch in s)) % 97 == 1


def ngrams(text, n=8):
    toks = re.findall(r"[a-z0-9']+", text.lower())
    return {tuple(toks[i:i + n]) for i in range(len(toks) - n + 1)}


def verify(files, sft, ev, changed_kb, changed_inc, people):
    kb, inc, cus, tck, pol, htm = (files[k] for k in ("kb", "incidents", "customers", "tickets", "policies", "html"))
    every = kb + inc + cus + tck + pol + htm
    check(70 <= len(kb) <= 90, f"kb count {len(kb)}")
    check(10 <= len(pol) <= 15 and 6 <= len(htm) <= 10, "policy/html counts")
    check(25 <= len(cus) <= 35 and 4 <= len(inc) <= 6, "customer/incident counts")
    ids = [d["id"] for d in every]
    dups = {i for i in ids if ids.count(i) > 1}
    check(dups == {KB_DUPLICATE["id"]} and ids.count(KB_DUPLICATE["id"]) == 2, f"duplicate ids {dups}")
    empty = [d for d in tck if d["text"] == ""]
    check(len(empty) == 1, "exactly one empty ticket")
    bad_window = [d for d in inc if d["valid_until"] and d["valid_until"] < d["valid_from"]]
    check([d["id"] for d in bad_window] == ["INC-006"], "exactly one incident with valid_until < valid_from")
    ongoing = [d for d in inc if d["valid_from"] and not d["valid_until"]]
    check([d["id"] for d in ongoing] == ["INC-005"] and ongoing[0]["valid_from"].startswith("2026-11"), "exactly one ongoing incident")
    for d in every:
        check(d["visibility"] in ("public", "internal"), f"visibility {d['id']}")
        check(d["source"] in ("kb", "policy", "ticket", "incident", "customer"), f"source {d['id']}")
        for k in ("updated_at", "valid_from", "valid_until"):
            v = d.get(k, "")
            check(v == "" and k != "updated_at" or (ISO_RE.match(v) and datetime.fromisoformat(v.replace("Z", "+00:00"))), f"date {d['id']} {k}")
        if d is not empty[0]:
            check(40 <= len(d["text"]) <= 20000, f"text length {d['id']} {len(d['text'])}")
    for d in kb:
        check(400 <= len(d["text"]) <= 1500 or d["title"] == KB_DUPLICATE["title"], f"kb length {d['id']} {len(d['text'])}")
    per_customer = {}
    for d in tck:
        if d["text"]:
            per_customer[d["customer_id"]] = per_customer.get(d["customer_id"], 0) + 1
    check(set(per_customer) == {c["id"] for c in cus} and all(2 <= n <= 5 for n in per_customer.values()), "2-5 tickets per customer")
    ticket_blob = "\n".join(d["text"] for d in tck)
    for card, _ in TEST_CARDS:
        check(luhn_ok(card), f"luhn {card}")
    for iban in IBANS_EUR + [IBAN_GB]:
        check(iban_ok(iban), f"iban {iban}")
    check(all(rx.search(ticket_blob) for rx in PII_RES), "tickets contain every PII kind")

    text_of = {}
    for d in every:
        text_of.setdefault(d["id"], d["text"])
    bad_ids = NO_GOLD | {empty[0]["id"]}
    # SFT
    check(180 <= len(sft) <= 260, f"sft count {len(sft)}")
    check([s["id"] for s in sft] == [f"SFT-{i:04d}" for i in range(1, len(sft) + 1)], "sft ids")
    check(len({(s.get("customer_id"), s["prompt"]) for s in sft}) == len(sft), "sft prompts unique per customer")
    n_abstain = sum(1 for s in sft if not s["gold_doc_ids"])
    n_customer = sum(1 for s in sft if s.get("customer_id"))
    check(0.10 <= n_abstain / len(sft) <= 0.14, f"abstain share {n_abstain}")
    check(0.13 <= n_customer / len(sft) <= 0.18, f"customer share {n_customer}")
    check({"account_reactivation", "troubleshooting", "billing_policy", "escalation"} <= {s["task_type"] for s in sft}, "task types")
    names = [p["name"] for p in people]
    sft_gold = set()
    for s in sft:
        resp, gold = s["response"], s["gold_doc_ids"]
        check(RESP_RE.fullmatch(resp), f"format {s['id']}")
        check(resp.rsplit("Sources: ", 1)[1] == (" ".join(f"[{g}]" for g in gold) or "none"), f"sources {s['id']}")
        check(not any(rx.search(resp) for rx in PII_RES) and not any(n in resp for n in names), f"PII in response {s['id']}")
        if not gold:
            check(resp == ABSTAIN, f"abstain text {s['id']}")
            continue
        check(1 <= len(gold) <= 2 and all(g in text_of and g not in bad_ids and g not in HOLDOUT for g in gold), f"gold {s['id']} {gold}")
        blob = "\n".join(text_of[g] for g in gold)
        for fact in FACT_RE.findall(resp.split("\nSources:")[0]):
            check(fact in blob, f"{s['id']}: fact {fact!r} not in gold {gold}")
        if s.get("customer_id"):
            check(any(g == s["customer_id"] or (g.startswith("TCK-") and s["customer_id"] in text_of[g]) for g in gold), f"customer gold {s['id']}")
        sft_gold.update(gold)
    check(sum(1 for s in sft if any(rx.search(s["prompt"]) for rx in PII_RES) or any(n in s["prompt"] for n in names)) >= 20, "PII in prompts")
    # Eval
    check(45 <= len(ev) <= 55, f"eval count {len(ev)}")
    cats = [e["category"] for e in ev]
    check(cats.count("customer") == 6 and cats.count("incident_ongoing") == 2 and cats.count("incident_expired") == 1
          and cats.count("unanswerable") == 5, f"eval categories {sorted(set(cats))}")
    sft_grams = set().union(*(ngrams(s["prompt"]) for s in sft))
    for e in ev:
        ref, gold, mi = e["reference_answer"], e["gold_doc_ids"], e["must_include"]
        check(RESP_RE.fullmatch(ref), f"format {e['id']}")
        check(not (ngrams(e["question"]) & sft_grams), f"{e['id']} shares an 8-word span with an SFT prompt")
        if not gold:
            check(ref == ABSTAIN and mi == [], f"unanswerable {e['id']}")
            continue
        check(all(g in text_of and g not in bad_ids and g not in sft_gold for g in gold), f"eval gold {e['id']} {gold}")
        check(1 <= len(mi) <= 3, f"must_include count {e['id']}")
        for m in mi:
            check(m in ref and any(m in text_of[g] for g in gold), f"{e['id']}: must_include {m!r}")
        blob = "\n".join(text_of[g] for g in gold)
        for fact in FACT_RE.findall(ref.split("\nSources:")[0]):
            check(fact in blob, f"{e['id']}: fact {fact!r} not in gold {gold}")
        if e["category"] == "kb_holdout":
            check(all(g in HOLDOUT for g in gold), f"holdout {e['id']}")
        if e["category"] == "customer":
            check(e["customer_id"] in EVAL_CUSTOMERS, f"eval customer {e['id']}")
    # Changes snapshot
    before = {d["id"]: d["text"] for d in kb if d["title"] != KB_DUPLICATE["title"]}
    after = {d["id"]: d["text"] for d in changed_kb if d["title"] != KB_DUPLICATE["title"]}
    q, old, new = CHANGED_QUESTION
    check(f"{old} per user per month" in before["KB-002"] and f"{new} per user per month" in after["KB-002"], "changed question facts")
    check(set(before) - set(after) == set(KB_DELETED) and set(after) - set(before) == {d for d, *_ in KB_ADDED}, "changed kb ids")
    check(sorted(k for k in before if k in after and before[k] != after[k]) == sorted(KB_EDITS), "edited kb ids")
    check([d["id"] for d in changed_inc if not d["valid_until"]] == ["INC-005", "INC-007"], "changed incidents")
    size = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file())
    check(size < 2 * 1024 * 1024, f"data/sample is {size} bytes")
    return size



# --------------------------------------------------------------------------
# The CRM (crm/crm.sql): the same customers and tickets as rows, for the sql context provider
# --------------------------------------------------------------------------
def sql_value(v):
    return "NULL" if v in (None, "") else str(v) if isinstance(v, (int, float)) else "'" + str(v).replace("'", "''") + "'"


def crm_sql(customers, tickets):
    """No random draws: every other file stays as it was."""
    lines = ["-- Larkspur's CRM as the sample knows it (data/sample/generate.py); load with sqlite3 crm.sqlite < crm.sql",
             "CREATE TABLE customers (id TEXT PRIMARY KEY, name TEXT NOT NULL, plan TEXT NOT NULL, seats INTEGER, "
             "billing TEXT, renewal_date TEXT, status TEXT NOT NULL, account_manager TEXT, region TEXT);",
             "CREATE TABLE tickets (id TEXT PRIMARY KEY, customer_id TEXT NOT NULL REFERENCES customers(id), "
             "subject TEXT, priority TEXT, status TEXT, updated_at TEXT);"]
    for c in customers:
        plan = "Business trial" if c["status"] == "trial" else c["plan"]
        row = (c["id"], c["name"], plan, c["seats"], c["cycle"], c["renewal"], c["status"], c["am"], c["region"])
        lines.append(f"INSERT INTO customers VALUES ({', '.join(sql_value(v) for v in row)});")
    for t in tickets:
        if not t["text"]:
            continue  # the sample's deliberately empty ticket is a bad record, not a CRM row
        status = re.search(r"Priority: (\S+) \| Status: (\S+)", t["text"])
        row = (t["id"], t["customer_id"], t["title"], status.group(1), status.group(2), t["updated_at"])
        lines.append(f"INSERT INTO tickets VALUES ({', '.join(sql_value(v) for v in row)});")
    return "\n".join(lines) + "\n"

# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------
def main():
    r = random.Random(SEED)
    people = make_people(r)
    customers = build_customers(r, people)
    tickets, ticket_units = build_tickets(r, customers, people)
    for sub in ("documents", "sft", "eval", "changes"):
        shutil.rmtree(OUT / sub, ignore_errors=True)
    docs = OUT / "documents"

    kb = kb_rows()
    inc = incident_rows(INCIDENTS)
    cus = [doc_row(c["id"], f"Customer profile: {c['name']}", c["text"], "customer", c["updated_at"],
                   f"https://admin.larkspur.example/customers/{c['id']}", customer_id=c["id"], visibility="internal") for c in customers]
    pol = [doc_row(p["id"], p["title"], f"# {p['title']}\n{p['body'].rstrip()}\n", "policy", p["updated"],
                   f"https://legal.larkspur.example/policies/{p['slug']}", visibility=p["visibility"]) for p in POLICIES]
    htm = [doc_row(h["id"], h["title"], html_text(h), "kb", h["updated"], f"https://help.larkspur.example/hc/{h['slug']}") for h in HTML_PAGES]

    write_jsonl(docs / "kb_articles.jsonl", kb)
    write_jsonl(docs / "incidents.jsonl", inc)
    write_csv(docs / "customers.csv", cus)
    write_parquet(docs / "tickets.parquet", tickets)
    write_text(OUT / "crm" / "crm.sql", crm_sql(customers, tickets))  # before the sft: live_examples reads it
    for p in POLICIES:
        write_text(docs / "policies" / f"{p['id']}-{p['slug']}.md", render_policy(p))
    for h in HTML_PAGES:
        write_text(docs / "html" / f"{h['id']}-{h['slug']}.html", render_html(h))

    sft = build_sft(r, people, customers, ticket_units)
    ev = build_eval(r, ticket_units)
    crm = crm_sql(customers, tickets)
    live_sft, live_ev = live_examples.extend(sft, ev, customers, EVAL_CUSTOMERS, crm, fmt_response)
    write_jsonl(OUT / "sft" / "sft.jsonl", live_sft)
    write_jsonl(OUT / "eval" / "eval.jsonl", live_ev)

    changed_kb = changed_kb_rows(kb)
    changed_inc = incident_rows(INCIDENTS + [NEW_INCIDENT])
    write_jsonl(OUT / "changes" / "documents" / "kb_articles.jsonl", changed_kb)
    write_jsonl(OUT / "changes" / "documents" / "incidents.jsonl", changed_inc)
    write_text(OUT / "changes" / "README.md", changes_readme(kb, changed_kb))
    write_text(OUT / "changes" / "demo.yaml", demo_script(ev))

    files = dict(kb=kb, incidents=inc, customers=cus, tickets=tickets, policies=pol, html=htm)
    size = verify(files, sft, ev, changed_kb, changed_inc, people)
    empty = next(t["id"] for t in tickets if not t["text"])
    print(f"kb_articles.jsonl: {len(kb)} lines ({len(kb) - 1} unique ids) | policies: {len(pol)} | html: {len(htm)} | "
          f"customers: {len(cus)} | tickets: {len(tickets)} | incidents: {len(inc)}")
    print(f"sft: {len(sft)} ({sum(1 for s in sft if not s['gold_doc_ids'])} abstain, {sum(1 for s in sft if s.get('customer_id'))} customer) | "
          f"eval: {len(ev)} | changes kb: {len(changed_kb)} lines, incidents: {len(changed_inc)}")
    print(f"live context: every row has a snapshot; + {len(live_sft) - len(sft)} sft and {len(live_ev) - len(ev)} eval questions the CRM and availability blocks answer")
    print(f"bad records: {empty} (empty text), {KB_DUPLICATE['id']} (duplicate id in kb_articles.jsonl), INC-006 (valid_until < valid_from)")
    print(f"total size: {size / 1024:.0f} KiB; all checks passed")


if __name__ == "__main__":
    main()
