//! Cameras and light effects: follow, orbit, minimap, shake, day-night cycle, flicker.

pub(super) const FOLLOW: &str = r#"using UnityEngine;

/// <summary>Camera that follows a target smoothly at a fixed offset and looks at it.</summary>
public class {{NAME}} : MonoBehaviour
{
    [SerializeField] private Transform target;
    [SerializeField] private Vector3 offset = new Vector3(0f, 5f, -8f);
    [SerializeField, Min(0f)] private float smoothTime = 0.2f;
    [SerializeField] private bool lookAtTarget = true;

    private Vector3 velocity;

    private void Start()
    {
        if (target == null)
        {
            // Finding by tag once at start is cheap; never do it every frame.
            GameObject player = GameObject.FindWithTag("{{T:TAG:Player}}");
            if (player != null)
            {
                target = player.transform;
            }
        }
    }

    // LateUpdate runs after the target moved this frame, so the camera never lags a frame behind.
    private void LateUpdate()
    {
        if (target == null)
        {
            return;
        }
        transform.position = Vector3.SmoothDamp(transform.position, target.position + offset, ref velocity, smoothTime);
        if (lookAtTarget)
        {
            transform.LookAt(target);
        }
    }
}
"#;

pub(super) const ORBIT: &str = r#"using UnityEngine;

/// <summary>Orbit camera: the mouse turns it around a target, the wheel zooms.</summary>
public class {{NAME}} : MonoBehaviour
{
    [SerializeField] private Transform target;
    [SerializeField] private float distance = {{P:RANGE:6f}};
    [SerializeField] private Vector2 distanceLimits = new Vector2(2f, 15f);
    [SerializeField] private float sensitivity = 3f;
    [SerializeField] private float zoomSpeed = 4f;
    [SerializeField] private Vector2 pitchLimits = new Vector2(-20f, 70f);
    [SerializeField] private bool holdRightMouse = false;

    private float yaw;
    private float pitch = 20f;

    private void Start()
    {
        yaw = transform.eulerAngles.y;
    }

    private void LateUpdate()
    {
        if (target == null)
        {
            return;
        }
        if (!holdRightMouse || Input.GetMouseButton(1))
        {
            yaw += Input.GetAxis("Mouse X") * sensitivity;
            pitch = Mathf.Clamp(pitch - Input.GetAxis("Mouse Y") * sensitivity, pitchLimits.x, pitchLimits.y);
        }
        distance = Mathf.Clamp(distance - Input.GetAxis("Mouse ScrollWheel") * zoomSpeed, distanceLimits.x, distanceLimits.y);
        Quaternion rotation = Quaternion.Euler(pitch, yaw, 0f);
        transform.SetPositionAndRotation(target.position - rotation * Vector3.forward * distance, rotation);
    }
}
"#;

pub(super) const MINIMAP: &str = r#"using UnityEngine;

/// <summary>Minimap: an orthographic camera above the target, rendering into a texture a UI RawImage shows.</summary>
[RequireComponent(typeof(Camera))]
public class {{NAME}} : MonoBehaviour
{
    [SerializeField] private Transform target;
    [SerializeField] private float height = 50f;
    [SerializeField] private float viewSize = {{P:RANGE:30f}};
    [Tooltip("Turn the map with the target instead of keeping north up.")]
    [SerializeField] private bool rotateWithTarget = false;

    private Camera mapCamera;

    private void Awake()
    {
        mapCamera = GetComponent<Camera>();
        mapCamera.orthographic = true;
        mapCamera.orthographicSize = viewSize;
    }

    private void LateUpdate()
    {
        if (target == null)
        {
            return;
        }
        transform.position = target.position + Vector3.up * height;
        float yaw = rotateWithTarget ? target.eulerAngles.y : 0f;
        transform.rotation = Quaternion.Euler(90f, yaw, 0f);
    }
}
"#;

pub(super) const SHAKE: &str = r#"using UnityEngine;

/// <summary>Camera shake: call Shake() (or Shake(strength)) on hits and explosions; decays smoothly.</summary>
public class {{NAME}} : MonoBehaviour
{
    [SerializeField] private float defaultStrength = 0.3f;
    [SerializeField] private float duration = {{P:DURATION:0.25f}};
    [SerializeField] private float frequency = 25f;

    private Vector3 restPosition;
    private float remaining;
    private float strength;

    private void Awake()
    {
        restPosition = transform.localPosition;
    }

    /// <summary>Starts a shake with the default strength.</summary>
    public void Shake()
    {
        Shake(defaultStrength);
    }

    /// <summary>Starts a shake; a stronger one replaces a weaker one in progress.</summary>
    public void Shake(float amount)
    {
        strength = Mathf.Max(strength * (remaining / Mathf.Max(duration, 0.0001f)), amount);
        remaining = duration;
    }

    private void LateUpdate()
    {
        if (remaining <= 0f)
        {
            return;
        }
        remaining -= Time.unscaledDeltaTime;
        float fade = Mathf.Clamp01(remaining / Mathf.Max(duration, 0.0001f));
        float t = Time.unscaledTime * frequency;
        // Perlin noise moves smoothly, unlike Random, so the shake reads as a shake, not jitter.
        Vector3 offset = new Vector3(Mathf.PerlinNoise(t, 0f) - 0.5f, Mathf.PerlinNoise(0f, t) - 0.5f, 0f) * 2f;
        transform.localPosition = remaining > 0f ? restPosition + strength * fade * offset : restPosition;
    }
}
"#;

pub(super) const DAY_NIGHT: &str = r#"using UnityEngine;

/// <summary>Day-night cycle: turns the sun light around the sky and dims it at night.</summary>
public class {{NAME}} : MonoBehaviour
{
    [SerializeField] private Light sun;
    [Tooltip("Real seconds for a whole day.")]
    [SerializeField, Min(1f)] private float dayLength = {{P:DURATION:120f}};
    [SerializeField, Range(0f, 1f)] private float timeOfDay = 0.25f;
    [SerializeField] private float maxIntensity = 1.2f;

    /// <summary>0 at midnight, 0.5 at noon.</summary>
    public float TimeOfDay => timeOfDay;

    private void Update()
    {
        timeOfDay = Mathf.Repeat(timeOfDay + Time.deltaTime / dayLength, 1f);
        if (sun == null)
        {
            return;
        }
        sun.transform.rotation = Quaternion.Euler(timeOfDay * 360f - 90f, 170f, 0f);
        // Brightest at noon, dark below the horizon.
        float height = Mathf.Sin(timeOfDay * 2f * Mathf.PI - Mathf.PI * 0.5f);
        sun.intensity = Mathf.Clamp01(height) * maxIntensity;
    }
}
"#;

pub(super) const FLICKER: &str = r#"using UnityEngine;

/// <summary>Flickering light for torches, candles and broken lamps.</summary>
[RequireComponent(typeof(Light))]
public class {{NAME}} : MonoBehaviour
{
    [SerializeField] private float minIntensity = 0.6f;
    [SerializeField] private float maxIntensity = 1.4f;
    [SerializeField] private float speed = 8f;

    private Light flickerLight;
    private float seed;

    private void Awake()
    {
        flickerLight = GetComponent<Light>();
        // Each light gets its own noise track so neighbours do not flicker in sync.
        seed = Random.Range(0f, 100f);
    }

    private void Update()
    {
        float noise = Mathf.PerlinNoise(seed, Time.time * speed);
        flickerLight.intensity = Mathf.Lerp(minIntensity, maxIntensity, noise);
    }
}
"#;
