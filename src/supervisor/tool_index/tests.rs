use std::sync::Arc;

use rmcp::model::JsonObject;

use super::*;

fn tool(name: &str) -> Tool {
    Tool::new(name.to_string(), "", Arc::new(JsonObject::new()))
}

fn config(text: &str) -> SupervisorConfig {
    SupervisorConfig::parse(text, &|_| None).unwrap()
}

/// Children whose names overlap (`a` is a prefix of `a__b`), tools that clean to one name, a
/// tool whose exposed name is too long, one named like an own tool once prefixed, and tools
/// a policy hides.
fn tricky() -> (SupervisorConfig, Vec<(String, Vec<Tool>)>) {
    let config = config(
        r#"{"mcpServers": {
            "a": {"command": "x", "exclude_tools": ["secret"]},
            "a__b": {"command": "x"},
            "c": {"command": "x", "tools": ["only"]}}}"#,
    );
    let long = "t".repeat(MAX_TOOL_NAME);
    let children = vec![
        (
            "a".to_string(),
            ["b__x", "x y", "x_y", "secret", "complete", long.as_str()]
                .map(tool)
                .to_vec(),
        ),
        ("a__b".to_string(), ["x", "secret"].map(tool).to_vec()),
        ("c".to_string(), ["only", "other"].map(tool).to_vec()),
    ];
    (config, children)
}

fn slices(children: &[(String, Vec<Tool>)]) -> Vec<(&str, &[Tool])> {
    (children.iter())
        .map(|(child, tools)| (child.as_str(), tools.as_slice()))
        .collect()
}

#[test]
fn a_name_routes_to_the_tool_the_list_holds_under_it() {
    let (config, children) = tricky();
    let (listed, _) = entries(slices(&children), &config);
    // Every name the list could hold, listed or refused, and some it could not.
    let mut names: Vec<String> = (children.iter())
        .flat_map(|(child, tools)| tools.iter().map(move |t| exposed_name(child, &t.name)))
        .collect();
    names.extend(tool_defs::OWN_TOOLS.iter().map(|t| t.to_string()));
    names.extend(["a__", "__x", "a__b", "c__", "nobody__x", ""].map(String::from));
    for name in &names {
        let from_list = (listed.iter())
            .find(|(listed, _, _)| listed == name)
            .map(|(_, child, tool)| (child.to_string(), tool.name.to_string()));
        let routed = route(slices(&children), &config, name)
            .map(|(child, tool)| (child.to_string(), tool.name.to_string()));
        assert_eq!(routed, from_list, "{name}");
    }
    let routed = |name: &str| route(slices(&children), &config, name).map(|(c, t)| (c, &*t.name));
    // `a__b__x` is a's tool `b__x`, listed first; a__b's `x` is taken.
    assert_eq!(routed("a__b__x"), Some(("a", "b__x")));
    // `x y` and `x_y` both clean to `x_y`: the first is listed.
    assert_eq!(routed("a__x_y"), Some(("a", "x y")));
    assert_eq!(routed("a__secret"), None);
    assert_eq!(routed("a__b__secret"), Some(("a__b", "secret")));
    assert_eq!(routed("c__only"), Some(("c", "only")));
    assert_eq!(routed("c__other"), None);
    assert_eq!(routed(&exposed_name("a", &"t".repeat(MAX_TOOL_NAME))), None);
}
