//! UEFI variables captured from efivarfs (`efi/efivars/<Name>-<GUID>`): each
//! file is a 4-byte attribute word followed by the variable's value.

use serde::Serialize;

use crate::evidence::Evidence;

/// efivarfs name of `SecureBoot` (EFI_GLOBAL_VARIABLE GUID).
pub const SECURE_BOOT_VAR: &str = "efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c";

/// The firmware's `SecureBoot` switch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecureBoot {
    /// The value byte is 1.
    pub enabled: bool,
    /// The byte it was read from (line 0; the text names offset 0x4).
    pub evidence: Evidence,
}

/// Reads `SecureBoot`'s value byte (offset 4, after the attributes); None when
/// the file is shorter.
pub fn secure_boot(artifact: &str, bytes: &[u8]) -> Option<SecureBoot> {
    bytes.get(4).map(|v| SecureBoot {
        enabled: *v == 1,
        evidence: Evidence {
            artifact: artifact.into(),
            line: 0,
            text: format!("byte 0x4 = {v:#04x} (SecureBoot {})", v == &1),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_value_byte_follows_the_attributes() {
        let s = secure_boot(SECURE_BOOT_VAR, &[6, 0, 0, 0, 1]).unwrap();
        assert!(s.enabled);
        assert_eq!(s.evidence.text, "byte 0x4 = 0x01 (SecureBoot true)");
        assert!(
            !secure_boot(SECURE_BOOT_VAR, &[6, 0, 0, 0, 0, 9])
                .unwrap()
                .enabled
        );
        assert!(secure_boot(SECURE_BOOT_VAR, &[6, 0, 0, 0]).is_none());
    }
}
