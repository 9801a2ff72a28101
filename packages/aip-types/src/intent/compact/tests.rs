//! The compact form: round trips of every form, and each refusal with its message.

use proptest::prelude::*;

use super::*;

/// A 20-byte account under the `wasm` prefix.
fn owner() -> String {
    let hrp = bech32::Hrp::parse("wasm").expect("hrp");
    bech32::encode::<bech32::Bech32>(hrp, &[9u8; 20]).expect("bech32")
}

fn cosmos_sig() -> IntentSignature {
    IntentSignature {
        kind: KIND_COSMOS_ADR036.to_string(),
        pub_key: Some(Binary::from([2u8; 33].as_slice()).to_base64()),
        signature: Binary::from([7u8; 64].as_slice()).to_base64(),
    }
}

fn eth_sig() -> IntentSignature {
    IntentSignature {
        kind: KIND_ETH_EIP712.to_string(),
        pub_key: None,
        signature: format!("0x{}", hex::encode([0xabu8; 65])),
    }
}

fn intent(signature: Option<IntentSignature>) -> BatchIntent {
    BatchIntent {
        owner: owner(),
        nonce: 7,
        slot_from: 1_764_057_600,
        slot_until: 1_764_059_400,
        side: Side::Sell,
        meter: 42,
        wh: 1_500,
        limit_price: 180_000,
        premium_only: true,
        expires: 1_764_057_600,
        signature,
    }
}

/// Where the flags byte of an encoding is (after the version and seven varints).
fn flags_at(bytes: &[u8]) -> usize {
    let mut r = Reader { bytes, at: 1 };
    for _ in 0..7 {
        r.uvarint("x", 65).expect("varint");
    }
    r.at
}

/// A signature by a key whose account is the owner's (under `wasm`).
fn keyed() -> (String, IntentSignature) {
    let pk = [3u8; 33];
    let hrp = bech32::Hrp::parse("wasm").expect("hrp");
    let owner = bech32::encode::<bech32::Bech32>(hrp, &key_account(&pk)).expect("bech32");
    let sig = IntentSignature {
        pub_key: Some(Binary::from(pk.as_slice()).to_base64()),
        ..cosmos_sig()
    };
    (owner, sig)
}

/// [`intent`] signed by [`keyed`]'s key, its owner that key's account.
fn keyed_intent() -> BatchIntent {
    let (owner, sig) = keyed();
    BatchIntent {
        owner,
        ..intent(Some(sig))
    }
}

/// Version 1 bytes of `bi`, written out by hand (absolute slot window and
/// expiry, a bech32 or text owner).
fn encode_v1(bi: &BatchIntent) -> Vec<u8> {
    let v2 = encode(bi);
    let at = flags_at(&v2);
    let mut out = vec![COMPACT_VERSION_1];
    for n in [
        bi.nonce,
        bi.slot_from,
        bi.slot_until,
        u64::from(bi.meter),
        bi.wh,
        bi.limit_price,
        bi.expires,
    ] {
        put_varint(&mut out, n);
    }
    assert_eq!(v2[at] & OWNER_FROM_KEY, 0, "version 1 has no derived owner");
    out.extend_from_slice(&v2[at..]);
    out
}

/// The flags byte of an encoding.
fn flags_of(bytes: &[u8]) -> u8 {
    bytes[flags_at(bytes)]
}

fn err(bytes: &[u8]) -> String {
    decode(bytes).expect_err("refused").to_string()
}

#[test]
fn the_fixture_owner_is_lowercase_bech32() {
    assert!(bech32_parts(&owner()).is_some());
}

#[test]
fn each_signature_form_round_trips_and_uses_its_short_form() {
    for (sig, form) in [
        (None, SIG_NONE),
        (Some(cosmos_sig()), SIG_COSMOS),
        (Some(eth_sig()), SIG_ETH),
    ] {
        let bi = intent(sig);
        let bytes = encode(&bi);
        let flags = flags_of(&bytes);
        assert_eq!((flags & SIG_MASK) >> SIG_SHIFT, form);
        assert_ne!(
            flags & OWNER_BECH32,
            0,
            "a bech32 owner travels as its data"
        );
        assert_eq!(decode(&bytes), Ok(bi.clone()));
        assert_eq!(from_base64(&to_base64(&bi)), Ok(bi));
    }
}

#[test]
fn the_short_forms_carry_raw_bytes() {
    // version + 7 varints (1+5+2+1+2+3+1: the window's end and the expiry as
    // differences from slot_from) + flags + owner (1+4+1+20) + 33 + 64
    assert_eq!(
        encode(&intent(Some(cosmos_sig()))).len(),
        1 + 15 + 1 + 26 + 97
    );
    assert_eq!(encode(&intent(Some(eth_sig()))).len(), 1 + 15 + 1 + 26 + 65);
    // The key's own account travels as its prefix only.
    let bi = keyed_intent();
    assert_eq!(encode(&bi).len(), 1 + 15 + 1 + 5 + 97);
}

#[test]
fn an_owner_that_is_the_keys_account_is_derived_from_it() {
    let bi = keyed_intent();
    let bytes = encode(&bi);
    assert_eq!(
        flags_of(&bytes) & (OWNER_FROM_KEY | OWNER_BECH32),
        OWNER_FROM_KEY
    );
    assert_eq!(decode(&bytes), Ok(bi.clone()));
    // Another account than the key's travels in full, and reads back as itself
    // (the contract then refuses the owner for not matching the key).
    let bytes = encode(&intent(Some(cosmos_sig())));
    assert_eq!(
        flags_of(&bytes) & (OWNER_FROM_KEY | OWNER_BECH32),
        OWNER_BECH32
    );
    // An eth signature never derives its owner (the digest includes it).
    let bytes = encode(&BatchIntent {
        signature: Some(eth_sig()),
        ..bi
    });
    assert_eq!(flags_of(&bytes) & OWNER_FROM_KEY, 0);
}

#[test]
fn version_1_still_reads() {
    let derivable = keyed_intent();
    for bi in [
        intent(None),
        intent(Some(cosmos_sig())),
        intent(Some(eth_sig())),
        BatchIntent {
            slot_until: 0,
            expires: u64::MAX,
            ..intent(None)
        },
    ] {
        let v1 = encode_v1(&bi);
        assert_eq!(decode(&v1), Ok(bi));
    }
    // Version 1 carries a derivable owner in full, and knows no flag bit 6.
    let mut v1 = vec![COMPACT_VERSION_1];
    for n in [7u64, 1, 2, 42, 1_500, 180_000, 3] {
        put_varint(&mut v1, n);
    }
    let at = v1.len();
    v1.push(OWNER_FROM_KEY | (SIG_COSMOS << SIG_SHIFT));
    v1.extend_from_slice(&encode(&derivable)[flags_at(&encode(&derivable)) + 1..]);
    assert_eq!(err(&v1), "intent encoding: unknown flag bits 0x48");
    v1[at] = SIG_COSMOS << SIG_SHIFT;
    assert!(decode(&v1).is_ok(), "the prefix read as a text owner");
}

#[test]
fn a_derived_owner_needs_a_cosmos_key_and_no_bech32_data() {
    let bytes = encode(&keyed_intent());
    let at = flags_at(&bytes);
    let flagged = |f: u8| {
        let mut b = bytes.clone();
        b[at] = f;
        b
    };
    let f = flags_of(&bytes);
    assert_eq!(
        err(&flagged(f | OWNER_BECH32)),
        "intent encoding: unknown flag bits 0x4f"
    );
    assert_eq!(
        err(&flagged((f & !SIG_MASK) | (SIG_ETH << SIG_SHIFT))),
        "intent encoding: unknown flag bits 0x53"
    );
    assert_eq!(
        err(&flagged(f & !SIG_MASK)),
        "intent encoding: unknown flag bits 0x43"
    );
}

#[test]
fn differences_that_leave_the_u64_range_are_refused() {
    // slot_from u64::MAX, slot_until one past it (zigzag 2).
    let mut bytes = vec![COMPACT_VERSION, 1];
    put_varint(&mut bytes, u64::MAX);
    bytes.push(2);
    assert_eq!(
        err(&bytes),
        "intent encoding: slot_until does not fit in 64 bits"
    );
    // slot_from 0, expires one before it (zigzag 1).
    let mut bytes = vec![COMPACT_VERSION, 1, 0, 0, 1, 1, 1, 1];
    assert_eq!(
        err(&bytes),
        "intent encoding: expires does not fit in 64 bits"
    );
    // A difference wider than 65 bits.
    bytes.truncate(7);
    bytes.extend_from_slice(&[0xff; 9]);
    bytes.push(0x04);
    assert_eq!(
        err(&bytes),
        "intent encoding: expires does not fit in 65 bits"
    );
}

#[test]
fn non_canonical_strings_travel_as_text_unchanged() {
    let mut upper = eth_sig();
    upper.signature = upper.signature.to_uppercase();
    let mut no_prefix = eth_sig();
    no_prefix.signature = hex::encode([1u8; 65]);
    let mut bad64 = cosmos_sig();
    bad64.signature = "not base64!".to_string();
    let mut short_key = cosmos_sig();
    short_key.pub_key = Some(Binary::from([2u8; 32].as_slice()).to_base64());
    let mut no_key = cosmos_sig();
    no_key.pub_key = None;
    let passkey = IntentSignature {
        kind: "passkey".to_string(),
        pub_key: Some("pk".to_string()),
        signature: "sig".to_string(),
    };
    for sig in [upper, no_prefix, bad64, short_key, no_key, passkey] {
        let bi = intent(Some(sig));
        let bytes = encode(&bi);
        assert_eq!((flags_of(&bytes) & SIG_MASK) >> SIG_SHIFT, SIG_TEXT);
        assert_eq!(decode(&bytes), Ok(bi));
    }
    // An owner that is not lowercase bech32 travels as text.
    for owner in ["alice".to_string(), owner().to_uppercase(), String::new()] {
        let bi = BatchIntent {
            owner,
            ..intent(Some(cosmos_sig()))
        };
        let bytes = encode(&bi);
        assert_eq!(flags_of(&bytes) & OWNER_BECH32, 0);
        assert_eq!(decode(&bytes), Ok(bi));
    }
}

#[test]
fn json_is_one_string_and_reads_back() {
    let bi = intent(Some(cosmos_sig()));
    let json = serde_json::to_value(&bi).expect("serialize");
    assert_eq!(json, serde_json::Value::String(to_base64(&bi)));
    let back: BatchIntent = serde_json::from_value(json).expect("deserialize");
    assert_eq!(back, bi);
    let back: BatchIntent =
        cosmwasm_std::from_json(format!("\"{}\"", to_base64(&bi))).expect("from_json");
    assert_eq!(back, bi);
}

#[test]
fn the_old_json_object_is_refused() {
    let e = serde_json::from_str::<BatchIntent>(r#"{"owner":"a","nonce":1}"#)
        .expect_err("object")
        .to_string();
    assert!(
        e.starts_with("invalid type: map, expected a compact intent (base64 string)"),
        "{e}"
    );
}

#[test]
fn malformed_base64_is_refused() {
    let e = from_base64("not base64!").expect_err("refused").to_string();
    assert!(
        e.starts_with("intent encoding is not valid base64: "),
        "{e}"
    );
    let e = serde_json::from_str::<BatchIntent>("\"@@@\"")
        .expect_err("refused")
        .to_string();
    assert!(
        e.starts_with("intent encoding is not valid base64: "),
        "{e}"
    );
}

#[test]
fn empty_and_wrong_version_are_refused() {
    assert_eq!(err(&[]), "intent encoding is empty");
    let mut bytes = encode(&intent(None));
    assert_eq!(bytes[0], 2);
    bytes[0] = 3;
    assert_eq!(
        err(&bytes),
        "intent encoding version 3 is not supported (expected 1 or 2)"
    );
    bytes[0] = 0;
    assert_eq!(
        err(&bytes),
        "intent encoding version 0 is not supported (expected 1 or 2)"
    );
}

#[test]
fn every_truncation_is_refused() {
    for bi in [
        intent(None),
        intent(Some(cosmos_sig())),
        intent(Some(eth_sig())),
        intent(Some(IntentSignature {
            kind: "passkey".to_string(),
            pub_key: Some("pk".to_string()),
            signature: "sig".to_string(),
        })),
    ] {
        let bytes = encode(&bi);
        for cut in 1..bytes.len() {
            let e = err(&bytes[..cut]);
            assert!(
                e.starts_with("intent encoding is truncated: "),
                "{cut}: {e}"
            );
        }
    }
    let bytes = encode(&intent(Some(cosmos_sig())));
    assert_eq!(
        err(&bytes[..bytes.len() - 1]),
        format!(
            "intent encoding is truncated: signature needs 1 more bytes at byte {}",
            bytes.len() - 64
        )
    );
    assert_eq!(
        err(&bytes[..1]),
        "intent encoding is truncated: nonce needs 1 more bytes at byte 1"
    );
}

#[test]
fn trailing_bytes_are_refused() {
    let mut bytes = encode(&intent(Some(eth_sig())));
    bytes.extend_from_slice(&[0, 0]);
    assert_eq!(
        err(&bytes),
        "intent encoding has 2 trailing bytes after the signature"
    );
}

#[test]
fn oversized_numbers_are_refused() {
    // A nonce of eleven continuation bytes.
    let mut bytes = vec![COMPACT_VERSION];
    bytes.extend_from_slice(&[0xff; 11]);
    assert_eq!(
        err(&bytes),
        "intent encoding: nonce does not fit in 64 bits"
    );
    // Ten bytes whose last one carries more than the top bit.
    let mut bytes = vec![COMPACT_VERSION];
    bytes.extend_from_slice(&[0xff; 9]);
    bytes.push(0x02);
    assert_eq!(
        err(&bytes),
        "intent encoding: nonce does not fit in 64 bits"
    );
    // A number with a needless zero byte (1 spelled 0x81 0x00).
    let bytes = vec![COMPACT_VERSION, 0x81, 0x00];
    assert_eq!(
        err(&bytes),
        "intent encoding: nonce is not in its shortest form"
    );
    let bytes = vec![COMPACT_VERSION, 0x80, 0x00];
    assert_eq!(
        err(&bytes),
        "intent encoding: nonce is not in its shortest form"
    );
    // A meter above u32::MAX.
    let mut bytes = vec![COMPACT_VERSION, 1, 1, 2];
    put_varint(&mut bytes, u64::from(u32::MAX) + 1);
    assert_eq!(
        err(&bytes),
        "intent encoding: meter does not fit in 32 bits"
    );
}

#[test]
fn unknown_flags_and_bad_text_are_refused() {
    let bi = intent(Some(cosmos_sig()));
    let bytes = encode(&bi);
    let at = flags_at(&bytes);
    let flagged = |f: u8| {
        let mut b = bytes.clone();
        b[at] = f;
        b
    };
    assert_eq!(
        err(&flagged(flags_of(&bytes) | 0x80)),
        "intent encoding: unknown flag bits 0x8f"
    );
    // pub_key present only makes sense with a text signature.
    assert_eq!(
        err(&flagged(flags_of(&bytes) | HAS_PUB_KEY)),
        "intent encoding: unknown flag bits 0x2f"
    );
    // A text owner that is not UTF-8.
    let mut bytes = vec![COMPACT_VERSION, 1, 1, 2, 1, 1, 1, 2, 0, 2, 0xc3, 0x28];
    assert_eq!(err(&bytes), "intent encoding: owner is not UTF-8");
    // A bech32 owner whose prefix is not a bech32 prefix.
    bytes.truncate(8);
    bytes.extend_from_slice(&[OWNER_BECH32, 1, b' ', 1, 0]);
    let e = err(&bytes);
    assert!(
        e.starts_with("intent encoding: owner is not bech32: "),
        "{e}"
    );
}

fn text_strategy() -> impl Strategy<Value = String> {
    "[ -~]{0,60}"
}

proptest! {
    #[test]
    fn any_intent_round_trips(
        owner in text_strategy(),
        nums in proptest::array::uniform7(any::<u64>()),
        meter in any::<u32>(),
        sell in any::<bool>(),
        premium in any::<bool>(),
        sig in proptest::option::of((text_strategy(), proptest::option::of(text_strategy()), text_strategy())),
    ) {
        let bi = BatchIntent {
            owner,
            nonce: nums[0],
            slot_from: nums[1],
            slot_until: nums[2],
            side: if sell { Side::Sell } else { Side::Buy },
            meter,
            wh: nums[3],
            limit_price: nums[4],
            premium_only: premium,
            expires: nums[5],
            signature: sig.map(|(kind, pub_key, signature)| IntentSignature { kind, pub_key, signature }),
        };
        prop_assert_eq!(from_base64(&to_base64(&bi)), Ok(bi));
    }
}
