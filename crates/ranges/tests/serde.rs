//! JSON form: `[[start, end], ...]`, exact for `u64`, validated on the way in.

use dom0scope_ranges::{FrameSet, IrqSet, PortSet};

#[test]
fn serializes_as_pairs() {
    let s = PortSet::from_ranges([0x20..=0x21, 0xcf8..=0xcff, 0x22..=0x22]);
    assert_eq!(serde_json::to_string(&s).unwrap(), "[[32,34],[3320,3327]]");
    assert_eq!(serde_json::to_string(&IrqSet::new()).unwrap(), "[]");
}

#[test]
fn u64_max_is_exact() {
    let s = FrameSet::from_ranges([0..=0xfe200, 0xff849..=u64::MAX]);
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(json, "[[0,1040896],[1046601,18446744073709551615]]");
    assert_eq!(serde_json::from_str::<FrameSet>(&json).unwrap(), s);
}

#[test]
fn deserialize_merges_unsorted_pairs() {
    let s: PortSet = serde_json::from_str("[[10,20],[0,9],[15,30]]").unwrap();
    assert_eq!(s, PortSet::from(0..=30));
}

#[test]
fn deserialize_rejects_bad_input() {
    for json in [
        "[[5,4]]",
        "[[0,65536]]",
        "[[1]]",
        "[[1,2,3]]",
        "[1,2]",
        "{}",
        "[[-1,2]]",
    ] {
        assert!(serde_json::from_str::<PortSet>(json).is_err(), "{json}");
    }
    let e = serde_json::from_str::<IrqSet>("[[5,4]]").unwrap_err();
    assert!(e.to_string().contains("greater"), "{e}");
}
