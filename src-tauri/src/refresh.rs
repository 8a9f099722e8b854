//! "The tray's state changed: show it again." Commands call
//! [`Refresh::refresh_tray`] on their app handle after a change the tray
//! shows (a saved setting, a requested run, a resolved conflict); the tray
//! icon's module implements it (icon, tooltip, menu texts, and the
//! window's `status` event). The trait lives down here so the commands
//! need not import the tray icon's module, which sits beside them and
//! opens their window: the import picture stays without a circle
//! (docs/tray-shell.md).

/// Show the tray's current state everywhere it is shown.
pub trait Refresh {
    fn refresh_tray(&self);
}
