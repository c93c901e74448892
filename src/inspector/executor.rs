//! The adapter's entry point: an action the gate let through
//! ([`Permitted`], which only `domain::gate` can make) executed through the
//! SDK clients ([`Inspector`]), or planned without calling anything
//! ([`Executor::DryRun`]).

use super::batch::{Live, change};
use super::client::Clients;
use super::plan::plan;
use super::preconnect::{Opened, preconnect};
use super::resolve::Resolver;
use super::runs::start_run;
use super::scans::{get_findings, get_scan, start_scan};
use crate::config::{BatchSettings, ResolveSettings, SdkSettings};
use crate::domain::selector::Page;
use crate::domain::{Action, Deadline, Error, FanOutItem, Outcome, Permitted, ScanTarget, Service};
use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;

/// The live adapter over the SDK clients. Built once per cold start.
#[derive(Debug, Clone)]
pub struct Inspector {
    clients: Clients,
    batch: BatchSettings,
    resolver: Arc<Resolver>,
}

impl Inspector {
    pub fn new(
        sdk: &aws_config::SdkConfig,
        settings: &SdkSettings,
        batch: &BatchSettings,
        resolver: Resolver,
    ) -> Self {
        Self {
            clients: Clients::new(sdk, settings, batch),
            batch: batch.clone(),
            resolver: Arc::new(resolver),
        }
    }

    /// Private: the way in is [`Executor::execute`], with a permit.
    async fn execute(&self, action: &Action, deadline: Deadline) -> Result<Outcome, Error> {
        let concurrency = self.batch.concurrency.max(1);
        let (clients, resolver) = (&self.clients, self.resolver.as_ref());
        match action {
            Action::StartCodeSecurityScan(s) => start_scan(clients, resolver, s, deadline)
                .await
                .map(Outcome::ScanStarted),
            Action::StartCodeSecurityScans(scans) => {
                let deadline = deadline.bulk();
                // Indices through the stream, not references: see
                // `batch::change` (rust-lang/rust#102211).
                let items = futures::stream::iter(0..scans.len())
                    .map(|i| async move {
                        let s = &scans[i];
                        let key = match &s.target {
                            ScanTarget::ProjectId(p) => ("projectId", p.clone()),
                            ScanTarget::Repository(r) => ("repository", r.clone()),
                        };
                        let result = start_scan(clients, resolver, s, deadline).await;
                        FanOutItem { key, result }
                    })
                    .buffered(concurrency)
                    .collect()
                    .await;
                Ok(Outcome::Scans(items))
            }
            Action::GetCodeSecurityScan(g) => {
                get_scan(clients, g, deadline).await.map(Outcome::Scan)
            }
            Action::GetCodeSecurityScanFindings(g) => get_findings(clients, g, deadline)
                .await
                .map(Outcome::Findings),
            Action::Configurations(c) => {
                let deadline = deadline.bulk();
                Ok(Outcome::Configured(
                    change(&Live { clients, deadline }, &self.batch, c, deadline).await,
                ))
            }
            Action::StartAssessmentRun(r) => start_run(clients, r, deadline)
                .await
                .map(Outcome::RunStarted),
            Action::StartAssessmentRuns(runs) => {
                let deadline = deadline.bulk();
                let items = futures::stream::iter(0..runs.len())
                    .map(|i| async move {
                        let r = &runs[i];
                        let result = start_run(clients, r, deadline).await;
                        FanOutItem {
                            key: ("assessmentTemplateArn", r.assessment_template_arn.clone()),
                            result,
                        }
                    })
                    .buffered(concurrency)
                    .collect()
                    .await;
                Ok(Outcome::Runs(items))
            }
            Action::Skip(skip) => Ok(Outcome::Skipped(skip.clone())),
            // Read page by page by the app, through [`Executor::select`].
            Action::Sweep(_) => Err(Error::Internal {
                message: "a sweep is expanded page by page, not executed whole".to_string(),
            }),
        }
    }
}

/// Live calls, or a dry run that validates and plans without calling AWS.
#[derive(Debug, Clone)]
pub enum Executor {
    Live(Inspector),
    DryRun(Resolver),
}

impl Executor {
    /// Live unless `sdk` is `None` (dry run).
    pub fn new(
        sdk: Option<&aws_config::SdkConfig>,
        settings: &SdkSettings,
        batch: &BatchSettings,
        resolve: &ResolveSettings,
    ) -> Self {
        let resolver = Resolver::from_settings(resolve);
        match sdk {
            Some(sdk) => Executor::Live(Inspector::new(sdk, settings, batch, resolver)),
            None => Executor::DryRun(resolver),
        }
    }

    /// Runs what the gate permitted; nothing else can be run.
    pub async fn execute(&self, permit: &Permitted, deadline: Deadline) -> Result<Outcome, Error> {
        let action = permit.action();
        match (self, action) {
            (_, Action::Skip(skip)) => Ok(Outcome::Skipped(skip.clone())),
            (Executor::Live(inspector), _) => inspector.execute(action, deadline).await,
            (Executor::DryRun(resolver), _) => Ok(Outcome::DryRun(plan(action, resolver))),
        }
    }

    /// One page of a permitted sweep's projects, from its `nextToken` (the
    /// bulk lane: a sweep is never interactive). A dry run lists nothing.
    pub async fn select(&self, permit: &Permitted, deadline: Deadline) -> Result<Page, Error> {
        let Action::Sweep(sweep) = permit.action() else {
            return Err(Error::Internal {
                message: "only a sweep is listed".to_string(),
            });
        };
        match self {
            Executor::Live(inspector) => {
                super::select::page(
                    &inspector.clients,
                    &sweep.select,
                    sweep.next_token.as_deref(),
                    deadline.bulk(),
                )
                .await
            }
            Executor::DryRun(_) => Ok(Page::default()),
        }
    }

    /// Opens the connections `PRECONNECT` names (live only; a dry run has none).
    pub async fn preconnect(&self, services: &[Service], budget: Duration) -> Vec<Opened> {
        match self {
            Executor::Live(inspector) if !services.is_empty() => {
                preconnect(&inspector.clients, services, budget).await
            }
            _ => Vec::new(),
        }
    }
}
