//! Player controllers: first person, third person, top-down, 2D platformer.

pub(super) const FIRST_PERSON: &str = r#"using UnityEngine;

/// <summary>First-person controller: mouse look on the camera, WASD movement, jump, gravity.</summary>
[RequireComponent(typeof(CharacterController))]
public class {{NAME}} : MonoBehaviour
{
    [SerializeField] private Transform cameraPivot;
    [SerializeField] private float moveSpeed = {{P:SPEED:5f}};
    [SerializeField] private float mouseSensitivity = 2f;
    [SerializeField] private float jumpHeight = 1.2f;
    [SerializeField] private float gravity = -20f;
    [Tooltip("Jumps allowed before landing (2 = double jump).")]
    [SerializeField, Min(1)] private int maxJumps = {{P:JUMPS:1}};

    private CharacterController controller;
    private float pitch;
    private float verticalVelocity;
    private int jumpsUsed;

    private void Awake()
    {
        controller = GetComponent<CharacterController>();
        // A locked cursor keeps mouse look from leaving the game view.
        Cursor.lockState = CursorLockMode.Locked;
    }

    private void Update()
    {
        float yaw = Input.GetAxis("Mouse X") * mouseSensitivity;
        pitch = Mathf.Clamp(pitch - Input.GetAxis("Mouse Y") * mouseSensitivity, -85f, 85f);
        transform.Rotate(0f, yaw, 0f);
        if (cameraPivot != null)
        {
            cameraPivot.localRotation = Quaternion.Euler(pitch, 0f, 0f);
        }

        Vector3 input = Vector3.ClampMagnitude(new Vector3(Input.GetAxisRaw("Horizontal"), 0f, Input.GetAxisRaw("Vertical")), 1f);
        Vector3 move = transform.TransformDirection(input) * moveSpeed;
        if (controller.isGrounded)
        {
            jumpsUsed = 0;
            if (verticalVelocity < 0f)
            {
                verticalVelocity = -2f;
            }
        }
        if (Input.GetButtonDown("Jump") && jumpsUsed < maxJumps)
        {
            verticalVelocity = Mathf.Sqrt(jumpHeight * -2f * gravity);
            jumpsUsed++;
        }
        verticalVelocity += gravity * Time.deltaTime;
        move.y = verticalVelocity;
        controller.Move(move * Time.deltaTime);
    }
}
"#;

pub(super) const THIRD_PERSON: &str = r#"using UnityEngine;

/// <summary>Third-person controller: moves relative to the camera, turns to face the motion, jumps.</summary>
[RequireComponent(typeof(CharacterController))]
public class {{NAME}} : MonoBehaviour
{
    [SerializeField] private float moveSpeed = {{P:SPEED:5f}};
    [SerializeField] private float sprintMultiplier = 1.6f;
    [SerializeField] private float turnSpeed = 720f;
    [SerializeField] private float jumpHeight = 1.5f;
    [SerializeField] private float gravity = -20f;
    [Tooltip("Jumps allowed before landing (2 = double jump).")]
    [SerializeField, Min(1)] private int maxJumps = {{P:JUMPS:1}};
    [Tooltip("Camera whose facing defines forward; defaults to Camera.main.")]
    [SerializeField] private Transform cameraTransform;

    private CharacterController controller;
    private Vector3 velocity;
    private int jumpsUsed;

    private void Awake()
    {
        controller = GetComponent<CharacterController>();
    }

    private void Start()
    {
        if (cameraTransform == null && Camera.main != null)
        {
            cameraTransform = Camera.main.transform;
        }
    }

    private void Update()
    {
        Vector2 input = new Vector2(Input.GetAxisRaw("Horizontal"), Input.GetAxisRaw("Vertical"));
        Vector3 forward = cameraTransform != null ? Vector3.ProjectOnPlane(cameraTransform.forward, Vector3.up).normalized : Vector3.forward;
        Vector3 right = cameraTransform != null ? Vector3.ProjectOnPlane(cameraTransform.right, Vector3.up).normalized : Vector3.right;
        Vector3 move = Vector3.ClampMagnitude(forward * input.y + right * input.x, 1f);
        if (move.sqrMagnitude > 0.0001f)
        {
            Quaternion facing = Quaternion.LookRotation(move, Vector3.up);
            transform.rotation = Quaternion.RotateTowards(transform.rotation, facing, turnSpeed * Time.deltaTime);
        }
        float speed = Input.GetKey(KeyCode.LeftShift) ? moveSpeed * sprintMultiplier : moveSpeed;

        if (controller.isGrounded)
        {
            jumpsUsed = 0;
            if (velocity.y < 0f)
            {
                velocity.y = -2f;
            }
        }
        if (Input.GetButtonDown("Jump") && jumpsUsed < maxJumps)
        {
            velocity.y = Mathf.Sqrt(jumpHeight * -2f * gravity);
            jumpsUsed++;
        }
        velocity.y += gravity * Time.deltaTime;
        controller.Move((move * speed + Vector3.up * velocity.y) * Time.deltaTime);
    }
}
"#;

pub(super) const TOP_DOWN: &str = r#"using UnityEngine;

/// <summary>Top-down controller: physics movement on the ground plane, aims at the mouse cursor.</summary>
[RequireComponent(typeof(Rigidbody))]
public class {{NAME}} : MonoBehaviour
{
    [SerializeField] private float moveSpeed = {{P:SPEED:6f}};
    [SerializeField] private bool faceMouse = true;

    private Rigidbody body;
    private Camera viewCamera;
    private Vector3 input;

    private void Awake()
    {
        body = GetComponent<Rigidbody>();
        // The camera looks down; physics must not tip the character over.
        body.freezeRotation = true;
        viewCamera = Camera.main;
    }

    private void Update()
    {
        input = Vector3.ClampMagnitude(new Vector3(Input.GetAxisRaw("Horizontal"), 0f, Input.GetAxisRaw("Vertical")), 1f);
        if (faceMouse && viewCamera != null)
        {
            Ray ray = viewCamera.ScreenPointToRay(Input.mousePosition);
            Plane ground = new Plane(Vector3.up, transform.position);
            if (ground.Raycast(ray, out float distance))
            {
                Vector3 look = ray.GetPoint(distance) - transform.position;
                look.y = 0f;
                if (look.sqrMagnitude > 0.01f)
                {
                    transform.rotation = Quaternion.LookRotation(look);
                }
            }
        }
    }

    private void FixedUpdate()
    {
        // Movement goes through the rigidbody so walls stop it.
        body.MovePosition(body.position + moveSpeed * Time.fixedDeltaTime * input);
    }
}
"#;

pub(super) const PLATFORMER_2D: &str = r#"using UnityEngine;

/// <summary>2D platformer controller: run, variable-height jump, coyote time, ground check.</summary>
[RequireComponent(typeof(Rigidbody2D))]
public class {{NAME}} : MonoBehaviour
{
    [SerializeField] private float moveSpeed = {{P:SPEED:8f}};
    [SerializeField] private float jumpVelocity = 12f;
    [Tooltip("Jumps allowed before landing (2 = double jump).")]
    [SerializeField, Min(1)] private int maxJumps = {{P:JUMPS:1}};
    [Tooltip("Seconds after leaving a ledge during which a jump still counts as grounded.")]
    [SerializeField] private float coyoteTime = 0.1f;
    [SerializeField] private Transform groundCheck;
    [SerializeField] private float groundRadius = 0.15f;
    [SerializeField] private LayerMask groundLayers = ~0;

    private Rigidbody2D body;
    private float horizontal;
    private float lastGroundedTime = float.NegativeInfinity;
    private int jumpsUsed;
    private bool jumpQueued;

    private void Awake()
    {
        body = GetComponent<Rigidbody2D>();
    }

    private void Update()
    {
        horizontal = Input.GetAxisRaw("Horizontal");
        if (Input.GetButtonDown("Jump"))
        {
            jumpQueued = true;
        }
        // Releasing the button early cuts the jump short.
        if (Input.GetButtonUp("Jump") && body.velocity.y > 0f)
        {
            body.velocity = new Vector2(body.velocity.x, body.velocity.y * 0.5f);
        }
        if (horizontal != 0f)
        {
            transform.localScale = new Vector3(Mathf.Sign(horizontal) * Mathf.Abs(transform.localScale.x), transform.localScale.y, transform.localScale.z);
        }
    }

    private void FixedUpdate()
    {
        bool grounded = groundCheck != null && Physics2D.OverlapCircle(groundCheck.position, groundRadius, groundLayers) != null;
        if (grounded)
        {
            lastGroundedTime = Time.time;
            jumpsUsed = 0;
        }
        body.velocity = new Vector2(horizontal * moveSpeed, body.velocity.y);
        if (jumpQueued)
        {
            bool canGroundJump = Time.time - lastGroundedTime <= coyoteTime && jumpsUsed == 0;
            if (canGroundJump || (jumpsUsed > 0 && jumpsUsed < maxJumps))
            {
                body.velocity = new Vector2(body.velocity.x, jumpVelocity);
                jumpsUsed++;
                lastGroundedTime = float.NegativeInfinity;
            }
            jumpQueued = false;
        }
    }
}
"#;
