//! The performance rules SPK1033–SPK1037 (UNT0022, UNT0032, UNT0024, UNT0028, and property
//! names by string): each fires at the exact place on the costly form and stays silent on the
//! idiom, and on code whose types syntax cannot tell.

use spark_core::validate::{Diagnostic, ValidationConfig, validate_source};

fn run_at(src: &str, unity: Option<&str>) -> Vec<Diagnostic> {
    let cfg = ValidationConfig { unity_version: unity.map(str::to_string), ..Default::default() };
    validate_source(src, "Player.cs", &cfg)
}

fn at(src: &str, needle: &str) -> (u32, u32) {
    let i = src.find(needle).unwrap_or_else(|| panic!("`{needle}` not in snippet"));
    let line = src[..i].matches('\n').count() as u32 + 1;
    let start = src[..i].rfind('\n').map_or(0, |p| p + 1);
    (line, src[start..i].chars().count() as u32 + 1)
}

/// The snippet yields exactly one diagnostic, of `rule`, at `needle`; returns its message.
#[track_caller]
fn only_at(rule: &str, src: &str, needle: &str, unity: Option<&str>) -> String {
    let d = run_at(src, unity);
    let (l, c) = at(src, needle);
    let got: Vec<(&str, u32, u32)> = d.iter().map(|d| (d.rule.as_str(), d.line, d.column)).collect();
    assert_eq!(got, vec![(rule, l, c)], "{src}\n{d:#?}");
    d[0].message.clone()
}

#[track_caller]
fn only(rule: &str, src: &str, needle: &str) -> String {
    only_at(rule, src, needle, None)
}

#[track_caller]
fn silent(src: &str) {
    let d = run_at(src, None);
    assert!(d.is_empty(), "{src}\n{d:#?}");
}

fn mono(body: &str) -> String {
    format!(
        "using System.Collections.Generic;\nusing UnityEngine;\n\npublic class Player : MonoBehaviour\n{{\n{body}\n}}\n"
    )
}

// ---- SPK1033 UNT0022 / SPK1034 UNT0032 ---------------------------------------------------------

#[test]
fn spk1033_position_then_rotation() {
    let src = mono(
        "    public Transform spawn;\n    void Respawn()\n    {\n        transform.position = spawn.position;\n        // then\n        transform.rotation = spawn.rotation;\n    }",
    );
    let m = only("SPK1033", &src, "transform.position =");
    assert!(m.contains("`transform.SetPositionAndRotation(position, rotation)`"), "{m}");
    // The second value may read the property it sets: setting the position leaves it alone.
    let src = mono(
        "    void Update()\n    {\n        transform.position = new Vector3(0.0f, 1.0f, 0.0f);\n        transform.rotation = transform.rotation;\n    }",
    );
    only("SPK1033", &src, "transform.position =");
    // Rotation first, on a declared Transform, `this.` on one side only.
    let src = mono(
        "    [SerializeField] Transform muzzle;\n    void Aim(Quaternion q, Vector3 p)\n    {\n        this.muzzle.rotation = q;\n        muzzle.position = p;\n    }",
    );
    only("SPK1033", &src, "this.muzzle");
    let src = mono(
        "    void Snap(GameObject other)\n    {\n        other.transform.position = Vector3.zero;\n        other.transform.rotation = Quaternion.identity;\n    }",
    );
    only("SPK1033", &src, "other.transform.position");
    // Reading another object's transform is fine.
    let src = mono(
        "    void Copy(GameObject go)\n    {\n        GameObject instance = gameObject;\n        instance.transform.position = go.transform.position;\n        instance.transform.rotation = go.transform.rotation;\n    }",
    );
    only("SPK1033", &src, "instance.transform.position");
}

#[test]
fn spk1034_local_pair_needs_a_unity_that_has_the_setter() {
    let src = mono(
        "    public Transform hand;\n    void Hold()\n    {\n        hand.localPosition = Vector3.zero;\n        hand.localRotation = Quaternion.identity;\n    }",
    );
    let m = only("SPK1034", &src, "hand.localPosition");
    assert!(m.contains("SetLocalPositionAndRotation"), "{m}");
    only_at("SPK1034", &src, "hand.localPosition", Some("6000.0"));
    // 2021.3 got the method in a patch release (2021.3.11) a target does not name.
    assert!(run_at(&src, Some("2021.3")).is_empty());
}

#[test]
fn spk1033_silent_when_the_pair_is_not_one_transform_set_twice() {
    // Apart, on two receivers, world and local mixed, or compound assignment.
    silent(&mono(
        "    public Transform a, b;\n    void Start()\n    {\n        transform.position = Vector3.zero;\n        Debug.Log(1);\n        transform.rotation = Quaternion.identity;\n        a.position = Vector3.one;\n        b.rotation = Quaternion.identity;\n        transform.position = Vector3.up;\n        transform.localRotation = Quaternion.identity;\n        transform.position += Vector3.up;\n        transform.rotation = Quaternion.identity;\n    }",
    ));
    // The second value reads the Transform: one call would read it before the first set.
    silent(&mono(
        "    public Transform target;\n    void Start()\n    {\n        transform.position = target.position;\n        transform.rotation = Quaternion.LookRotation(target.position - transform.position);\n    }",
    ));
    // `gameObject.transform` is `transform`.
    silent(&mono(
        "    public Vector3 target;\n    void Start()\n    {\n        gameObject.transform.position = Vector3.zero;\n        gameObject.transform.rotation = Quaternion.LookRotation(target - transform.position);\n    }",
    ));
    // A method of the class may read the Transform (here the rotation just set); the static
    // math methods do not.
    silent(&mono(
        "    public float distance = 5f;\n    void LateUpdate()\n    {\n        transform.rotation = Quaternion.Euler(30f, 0f, 0f);\n        transform.position = Behind();\n    }\n    Vector3 Behind() => transform.rotation * new Vector3(0f, 0f, -distance);",
    ));
    let src = mono(
        "    void LateUpdate()\n    {\n        transform.rotation = Quaternion.Euler(30f, 0f, 0f);\n        transform.position = Vector3.Lerp(Vector3.zero, Vector3.one, 0.5f);\n    }",
    );
    only("SPK1033", &src, "transform.rotation =");
    // Receivers of unknown type, with a call or index in them, and a `transform` field that is
    // no Transform.
    silent(&mono(
        "    public Rig rig;\n    public Transform[] bones;\n    void Start()\n    {\n        rig.position = Vector3.zero;\n        rig.rotation = Quaternion.identity;\n        bones[0].position = Vector3.zero;\n        bones[0].rotation = Quaternion.identity;\n        GetTarget().position = Vector3.zero;\n        GetTarget().rotation = Quaternion.identity;\n    }\n    Transform GetTarget() => bones[1];",
    ));
    silent(
        "using UnityEngine;\npublic class Pose { public Vector3 position; public Quaternion rotation; }\npublic class Poser\n{\n    Pose transform = new Pose();\n    void Set() { transform.position = Vector3.zero; transform.rotation = Quaternion.identity; }\n}\n",
    );
}

#[test]
fn spk1033_transform_access_in_a_job() {
    let src = "using UnityEngine;\nusing UnityEngine.Jobs;\n\npublic struct Spin : IJobParallelForTransform\n{\n    public void Execute(int index, TransformAccess transform)\n    {\n        transform.position = Vector3.zero;\n        transform.rotation = Quaternion.identity;\n    }\n}\n";
    only("SPK1033", src, "transform.position");
    assert!(run_at(src, Some("2021.3")).is_empty());
    // A local of the same block: the walk has not declared it yet when it looks at the block.
    let src = "using UnityEngine;\nusing UnityEngine.Jobs;\n\nclass Context\n{\n    void Method()\n    {\n        var stub = new TransformAccess();\n        stub.position = new Vector3(0.0f, 1.0f, 0.0f);\n        stub.rotation = stub.rotation;\n    }\n}\n";
    only("SPK1033", src, "stub.position");
    // Shadowed by a local of another type: not a Transform any more.
    silent(&mono(
        "    public Transform rig;\n    void Start()\n    {\n        var rig = new Pose();\n        rig.position = Vector3.zero;\n        rig.rotation = Quaternion.identity;\n        Debug.Log(rig);\n    }",
    ));
}

// ---- SPK1035 UNT0024 -------------------------------------------------------------------------

#[test]
fn spk1035_vector_before_two_scalars() {
    let src = mono(
        "    public float speed = 2f;\n    void Update()\n    {\n        transform.Translate(Vector3.up * speed * Time.deltaTime);\n    }",
    );
    let m = only("SPK1035", &src, "Vector3.up *");
    assert!(m.contains("`speed * Time.deltaTime * Vector3.up`"), "{m}");
    // The vector in the middle, a declared local, literals, a cast and a negation.
    let src = mono(
        "    void Move(float dt)\n    {\n        Vector3 dir = new Vector3(1f, 0f, 0f);\n        var step = -2f * dir * (float)dt * 0.5f;\n        transform.position += step;\n    }",
    );
    let m = only("SPK1035", &src, "-2f * dir");
    assert!(m.contains("`-2f * (float)dt * 0.5f * dir`"), "{m}");
    // Well-known members: `transform.forward`, input axes, a component of a declared vector.
    let src = mono(
        "    Vector2 velocity;\n    void Update()\n    {\n        transform.position += transform.forward * Input.GetAxis(\"Vertical\") * velocity.y;\n    }",
    );
    only("SPK1035", &src, "transform.forward *");
    // `var` locals typed by their literal or vector constant.
    let src = mono(
        "    void Update()\n    {\n        var speed = 5f;\n        var up = Vector3.up;\n        transform.position += up * speed * Time.deltaTime;\n    }",
    );
    let m = only("SPK1035", &src, "up * speed");
    assert!(m.contains("`speed * Time.deltaTime * up`"), "{m}");
}

#[test]
fn spk1035_var_literals_keep_their_type() {
    // A double (`2.0`) or decimal literal in a `var` cannot multiply a vector: no message.
    silent(&mono(
        "    void Update()\n    {\n        var k = 2.0;\n        var m = 3m;\n        var a = Vector3.up * k * Time.deltaTime;\n        Debug.Log(a + m.ToString());\n    }",
    ));
}

#[test]
fn spk1035_silent_on_scalars_first_and_unknown_types() {
    silent(&mono(
        "    public float speed = 2f;\n    Vector3 dir;\n    void Update()\n    {\n        transform.Translate(speed * Time.deltaTime * Vector3.up);\n        transform.Translate(dir * Time.deltaTime);\n        var s = speed * 2f * Time.deltaTime;\n        Debug.Log(s);\n    }",
    ));
    // A factor whose type is unknown (a property of another class, a call, a double, a
    // parenthesised sum): no message, even when the rest would call for one.
    silent(&mono(
        "    public Rigidbody body;\n    public float speed;\n    void Update()\n    {\n        var a = body.velocity * speed * Time.deltaTime;\n        var b = Vector3.up * GetSpeed() * Time.deltaTime;\n        var c = Vector3.up * 2.0 * speed;\n        var d = Vector3.up * (speed + 1f) * Time.deltaTime;\n        var e = transform.rotation * Vector3.forward * speed * Time.deltaTime;\n        Debug.Log(a + b + c + d + e);\n    }\n    float GetSpeed() => speed;",
    ));
    // Only the outermost product is reported, once; a product inside a factor is its own.
    let src = mono(
        "    public float speed;\n    void Update()\n    {\n        var v = Vector3.up * speed * Time.deltaTime * 2f;\n        Debug.Log(v);\n    }",
    );
    only("SPK1035", &src, "Vector3.up *");
}

// ---- SPK1036 UNT0028 -------------------------------------------------------------------------

#[test]
fn spk1036_allocating_physics_query_every_frame() {
    let src = mono(
        "    void FixedUpdate()\n    {\n        var hits = Physics.RaycastAll(transform.position, Vector3.down, 2f);\n        Debug.Log(hits.Length);\n    }",
    );
    let m = only("SPK1036", &src, "RaycastAll(");
    assert!(m.contains("`Physics.RaycastNonAlloc`") && m.contains("`FixedUpdate`"), "{m}");
    let src = mono(
        "    void Update()\n    {\n        foreach (var c in Physics.OverlapSphere(transform.position, 3f)) Debug.Log(c.name);\n    }",
    );
    let m = only("SPK1036", &src, "OverlapSphere(");
    assert!(m.contains("`Physics.OverlapSphereNonAlloc`"), "{m}");
}

#[test]
fn spk1036_physics2d_names_the_form_of_the_target_unity() {
    let src = mono(
        "    void Update()\n    {\n        var cs = Physics2D.OverlapCircleAll(transform.position, 1f);\n        Debug.Log(cs.Length);\n    }",
    );
    let m = only("SPK1036", &src, "OverlapCircleAll(");
    assert!(m.contains("`Physics2D.OverlapCircleNonAlloc`"), "{m}");
    let m = only_at("SPK1036", &src, "OverlapCircleAll(", Some("6000.0"));
    assert!(!m.contains("NonAlloc`") && m.contains("`ContactFilter2D`"), "{m}");
    let src = mono(
        "    void Update()\n    {\n        var ray = Camera.main.ScreenPointToRay(Input.mousePosition);\n        foreach (var h in Physics2D.GetRayIntersectionAll(ray)) Debug.Log(h.collider.name);\n    }",
    );
    let m = only("SPK1036", &src, "GetRayIntersectionAll(");
    assert!(m.contains("`Physics2D.GetRayIntersectionNonAlloc`"), "{m}");
    let m = only_at("SPK1036", &src, "GetRayIntersectionAll(", Some("6000.0"));
    assert!(m.contains("`Physics2D.GetRayIntersection` overload") && !m.contains("NonAlloc`"), "{m}");
}

#[test]
fn spk1036_silent_outside_frames_and_on_non_allocating_forms() {
    silent(&mono(
        "    readonly Collider[] buffer = new Collider[16];\n    readonly List<Collider2D> found = new List<Collider2D>();\n    readonly RaycastHit2D[] hits2d = new RaycastHit2D[8];\n    ContactFilter2D filter;\n    void Start()\n    {\n        Debug.Log(Physics.RaycastAll(transform.position, Vector3.down).Length);\n    }\n    void Update()\n    {\n        int n = Physics.OverlapSphereNonAlloc(transform.position, 3f, buffer);\n        int m = Physics2D.OverlapCircle(transform.position, 1f, filter, found);\n        int r = Physics2D.GetRayIntersectionNonAlloc(Camera.main.ScreenPointToRay(Input.mousePosition), hits2d);\n        bool hit = Physics.Raycast(transform.position, Vector3.down);\n        var scene = gameObject.scene.GetPhysicsScene();\n        int k = scene.OverlapSphere(transform.position, 3f, buffer, ~0, QueryTriggerInteraction.Ignore);\n        Debug.Log(n + m + k + r + (hit ? 1 : 0));\n    }",
    ));
}

// ---- SPK1037 property names by string --------------------------------------------------------

#[test]
fn spk1037_material_property_by_name_every_frame() {
    let src = mono(
        "    public Material glow;\n    void Update()\n    {\n        glow.SetFloat(\"_Intensity\", Mathf.PingPong(Time.time, 1f));\n    }",
    );
    let m = only("SPK1037", &src, "\"_Intensity\"");
    assert!(m.contains("Shader.PropertyToID(\"_Intensity\")"), "{m}");
    let src = mono(
        "    MaterialPropertyBlock block;\n    Renderer rend;\n    void LateUpdate()\n    {\n        block.SetColor(\"_BaseColor\", Color.red);\n        rend.SetPropertyBlock(block);\n    }",
    );
    only("SPK1037", &src, "\"_BaseColor\"");
    let src = mono(
        "    void Update() { GetComponent<Renderer>().sharedMaterial.SetVector(\"_Wind\", Vector4.one); }",
    );
    let d = run_at(&src, None);
    assert!(d.iter().any(|d| d.rule == "SPK1037" && (d.line, d.column) == at(&src, "\"_Wind\"")), "{d:#?}");
    only(
        "SPK1037",
        &mono("    void Update() { Shader.SetGlobalFloat(\"_GlobalTime\", Time.time); }"),
        "\"_GlobalTime\"",
    );
    // A string constant is still a name hashed on every call.
    let src = mono(
        "    const string Intensity = \"_Intensity\";\n    public Material glow;\n    void Update() { glow.SetFloat(Intensity, Time.time); }",
    );
    let m = only("SPK1037", &src, "Intensity, Time");
    assert!(
        m.contains("`Material.SetFloat(Intensity, …)`") && m.contains("PropertyToID(\"_Intensity\")"),
        "{m}"
    );
}

#[test]
fn spk1037_silent_on_ids_setup_code_and_other_types() {
    silent(&mono(
        "    static readonly int Intensity = Shader.PropertyToID(\"_Intensity\");\n    public Material glow;\n    public UnityEngine.Audio.AudioMixer mixer;\n    void Awake() { glow.SetFloat(\"_Intensity\", 0f); }\n    void Update()\n    {\n        glow.SetFloat(Intensity, Time.time);\n        mixer.SetFloat(\"Volume\", -10f);\n        glow.EnableKeyword(\"_EMISSION\");\n    }",
    ));
}
