//! AI and game systems: patrol and chase, followers, state machines, inventory, dialogue.

pub(super) const PATROL_CHASE: &str = r#"using UnityEngine;

/// <summary>Enemy AI: patrols between waypoints, chases the target once it comes within sight range, gives up when it escapes.</summary>
public class {{NAME}} : MonoBehaviour
{
    private enum Mode { Patrol, Chase }

    [SerializeField] private Transform[] waypoints;
    [SerializeField] private Transform target;
    [SerializeField] private float patrolSpeed = 2f;
    [SerializeField] private float chaseSpeed = {{P:SPEED:4.5f}};
    [SerializeField] private float sightRange = {{P:RANGE:8f}};
    [Tooltip("Chasing stops beyond this distance; larger than the sight range so it does not flicker.")]
    [SerializeField] private float loseRange = 12f;
    [SerializeField] private float turnSpeed = 360f;

    private Mode mode = Mode.Patrol;
    private int waypointIndex;

    private void Start()
    {
        if (target == null)
        {
            GameObject player = GameObject.FindWithTag("{{T:TAG:Player}}");
            if (player != null)
            {
                target = player.transform;
            }
        }
    }

    private void Update()
    {
        float distance = target != null ? Vector3.Distance(transform.position, target.position) : float.PositiveInfinity;
        if (mode == Mode.Patrol && distance <= sightRange)
        {
            mode = Mode.Chase;
        }
        else if (mode == Mode.Chase && distance > loseRange)
        {
            mode = Mode.Patrol;
        }

        if (mode == Mode.Chase)
        {
            MoveTowards(target.position, chaseSpeed);
        }
        else if (waypoints != null && waypoints.Length > 0 && waypoints[waypointIndex] != null)
        {
            Vector3 point = waypoints[waypointIndex].position;
            MoveTowards(point, patrolSpeed);
            if ((transform.position - point).sqrMagnitude < 0.04f)
            {
                waypointIndex = (waypointIndex + 1) % waypoints.Length;
            }
        }
    }

    private void MoveTowards(Vector3 point, float speed)
    {
        point.y = transform.position.y;
        Vector3 direction = point - transform.position;
        if (direction.sqrMagnitude > 0.0001f)
        {
            Quaternion facing = Quaternion.LookRotation(direction);
            transform.rotation = Quaternion.RotateTowards(transform.rotation, facing, turnSpeed * Time.deltaTime);
        }
        transform.position = Vector3.MoveTowards(transform.position, point, speed * Time.deltaTime);
    }

    private void OnDrawGizmosSelected()
    {
        Gizmos.color = Color.yellow;
        Gizmos.DrawWireSphere(transform.position, sightRange);
    }
}
"#;

pub(super) const FOLLOWER: &str = r#"using UnityEngine;

/// <summary>Companion that follows its owner at a distance and catches up when left behind.</summary>
public class {{NAME}} : MonoBehaviour
{
    [SerializeField] private Transform owner;
    [SerializeField] private float followDistance = 2.5f;
    [SerializeField] private float speed = {{P:SPEED:4f}};
    [Tooltip("Beyond this distance the companion teleports next to its owner.")]
    [SerializeField] private float teleportDistance = 30f;

    private void Start()
    {
        if (owner == null)
        {
            GameObject player = GameObject.FindWithTag("{{T:TAG:Player}}");
            if (player != null)
            {
                owner = player.transform;
            }
        }
    }

    private void Update()
    {
        if (owner == null)
        {
            return;
        }
        Vector3 toOwner = owner.position - transform.position;
        float distance = toOwner.magnitude;
        if (distance > teleportDistance)
        {
            transform.position = owner.position - owner.forward * followDistance;
            return;
        }
        if (distance > followDistance)
        {
            // Moves faster the farther behind it is.
            float step = speed * Mathf.Clamp(distance / followDistance, 1f, 3f) * Time.deltaTime;
            transform.position = Vector3.MoveTowards(transform.position, owner.position, Mathf.Min(step, distance - followDistance));
        }
        toOwner.y = 0f;
        if (toOwner.sqrMagnitude > 0.01f)
        {
            transform.rotation = Quaternion.Slerp(transform.rotation, Quaternion.LookRotation(toOwner), 5f * Time.deltaTime);
        }
    }
}
"#;

pub(super) const FSM: &str = r#"using System;
using System.Collections.Generic;

/// <summary>One state of a {{NAME}}: entered, updated each tick, exited.</summary>
public interface IState
{
    void Enter();
    void Tick(float deltaTime);
    void Exit();
}

/// <summary>
/// Finite state machine (plain C# class): states plus transitions guarded by conditions.
/// Own one in a MonoBehaviour and call Tick(Time.deltaTime) from its Update.
/// </summary>
public class {{NAME}}
{
    private readonly Dictionary<IState, List<KeyValuePair<Func<bool>, IState>>> transitions =
        new Dictionary<IState, List<KeyValuePair<Func<bool>, IState>>>();
    private readonly List<KeyValuePair<Func<bool>, IState>> anyTransitions = new List<KeyValuePair<Func<bool>, IState>>();

    /// <summary>The active state, or null before the first SetState.</summary>
    public IState Current { get; private set; }

    /// <summary>Raised after each change, with the previous and the new state.</summary>
    public event Action<IState, IState> StateChanged;

    /// <summary>Adds a transition from one state to another when the condition holds.</summary>
    public void AddTransition(IState from, IState to, Func<bool> condition)
    {
        if (!transitions.TryGetValue(from, out var list))
        {
            list = new List<KeyValuePair<Func<bool>, IState>>();
            transitions[from] = list;
        }
        list.Add(new KeyValuePair<Func<bool>, IState>(condition, to));
    }

    /// <summary>Adds a transition taken from any state (death, stun).</summary>
    public void AddAnyTransition(IState to, Func<bool> condition)
    {
        anyTransitions.Add(new KeyValuePair<Func<bool>, IState>(condition, to));
    }

    /// <summary>Switches state now, running Exit and Enter.</summary>
    public void SetState(IState state)
    {
        if (state == null || state == Current)
        {
            return;
        }
        IState previous = Current;
        previous?.Exit();
        Current = state;
        Current.Enter();
        StateChanged?.Invoke(previous, Current);
    }

    /// <summary>Takes the first transition whose condition holds, then updates the current state.</summary>
    public void Tick(float deltaTime)
    {
        IState next = FirstReady(anyTransitions);
        if (next == null && Current != null && transitions.TryGetValue(Current, out var list))
        {
            next = FirstReady(list);
        }
        if (next != null)
        {
            SetState(next);
        }
        Current?.Tick(deltaTime);
    }

    private static IState FirstReady(List<KeyValuePair<Func<bool>, IState>> list)
    {
        foreach (var transition in list)
        {
            if (transition.Key())
            {
                return transition.Value;
            }
        }
        return null;
    }
}
"#;

pub(super) const INVENTORY: &str = r#"using System;
using System.Collections.Generic;
using UnityEngine;
using UnityEngine.Events;

/// <summary>Inventory: a fixed number of slots holding stacks of items identified by id.</summary>
public class {{NAME}} : MonoBehaviour
{
    /// <summary>One occupied slot.</summary>
    [Serializable]
    public class Stack
    {
        public string itemId;
        public int count;
    }

    [SerializeField, Min(1)] private int slotCount = {{P:SLOTS:20}};
    [SerializeField, Min(1)] private int maxStack = 99;
    [SerializeField] private List<Stack> slots = new List<Stack>();
    [SerializeField] private UnityEvent onChanged = new UnityEvent();

    /// <summary>The occupied slots, in order.</summary>
    public IReadOnlyList<Stack> Slots => slots;

    /// <summary>Adds items, filling existing stacks first; returns how many did not fit.</summary>
    public int Add(string itemId, int amount = 1)
    {
        if (string.IsNullOrEmpty(itemId) || amount <= 0)
        {
            return Math.Max(amount, 0);
        }
        foreach (Stack stack in slots)
        {
            if (stack.itemId == itemId && stack.count < maxStack)
            {
                int added = Math.Min(amount, maxStack - stack.count);
                stack.count += added;
                amount -= added;
                if (amount == 0)
                {
                    break;
                }
            }
        }
        while (amount > 0 && slots.Count < slotCount)
        {
            int added = Math.Min(amount, maxStack);
            slots.Add(new Stack { itemId = itemId, count = added });
            amount -= added;
        }
        onChanged.Invoke();
        return amount;
    }

    /// <summary>Removes items if enough are held; returns whether it did.</summary>
    public bool Remove(string itemId, int amount = 1)
    {
        if (amount <= 0 || Count(itemId) < amount)
        {
            return false;
        }
        for (int i = slots.Count - 1; i >= 0 && amount > 0; i--)
        {
            if (slots[i].itemId != itemId)
            {
                continue;
            }
            int taken = Math.Min(amount, slots[i].count);
            slots[i].count -= taken;
            amount -= taken;
            if (slots[i].count == 0)
            {
                slots.RemoveAt(i);
            }
        }
        onChanged.Invoke();
        return true;
    }

    /// <summary>How many of an item are held.</summary>
    public int Count(string itemId)
    {
        int total = 0;
        foreach (Stack stack in slots)
        {
            if (stack.itemId == itemId)
            {
                total += stack.count;
            }
        }
        return total;
    }
}
"#;

pub(super) const DIALOGUE: &str = r#"using System;
using UnityEngine;
using UnityEngine.Events;
using UnityEngine.UI;
using TMPro;

/// <summary>Dialogue with choices: shows lines in a TextMeshPro label, one button per choice, branches by index.</summary>
public class {{NAME}} : MonoBehaviour
{
    /// <summary>A choice and the node it leads to (-1 ends the dialogue).</summary>
    [Serializable]
    public class Choice
    {
        public string text;
        public int nextNode = -1;
    }

    /// <summary>One line; without choices, Continue goes to nextNode.</summary>
    [Serializable]
    public class Node
    {
        public string speaker;
        [TextArea] public string line;
        public Choice[] choices = new Choice[0];
        public int nextNode = -1;
    }

    [SerializeField] private Node[] nodes = new Node[0];
    [SerializeField] private TMP_Text speakerLabel;
    [SerializeField] private TMP_Text lineLabel;
    [SerializeField] private Button continueButton;
    [Tooltip("Buttons reused for choices; extra ones are hidden.")]
    [SerializeField] private Button[] choiceButtons = new Button[0];
    [SerializeField] private GameObject panel;
    [SerializeField] private UnityEvent onDialogueEnded = new UnityEvent();

    private int current = -1;

    private void Awake()
    {
        if (continueButton != null)
        {
            continueButton.onClick.AddListener(Continue);
        }
        for (int i = 0; i < choiceButtons.Length; i++)
        {
            int index = i;
            choiceButtons[i].onClick.AddListener(() => Choose(index));
        }
        if (panel != null)
        {
            panel.SetActive(false);
        }
    }

    /// <summary>Starts the dialogue at a node.</summary>
    public void StartDialogue(int node = 0)
    {
        if (panel != null)
        {
            panel.SetActive(true);
        }
        Show(node);
    }

    /// <summary>Advances a node without choices.</summary>
    public void Continue()
    {
        if (current >= 0 && nodes[current].choices.Length == 0)
        {
            Show(nodes[current].nextNode);
        }
    }

    /// <summary>Picks a choice of the current node.</summary>
    public void Choose(int index)
    {
        if (current >= 0 && index >= 0 && index < nodes[current].choices.Length)
        {
            Show(nodes[current].choices[index].nextNode);
        }
    }

    private void Show(int node)
    {
        if (node < 0 || node >= nodes.Length)
        {
            current = -1;
            if (panel != null)
            {
                panel.SetActive(false);
            }
            onDialogueEnded.Invoke();
            return;
        }
        current = node;
        Node n = nodes[node];
        if (speakerLabel != null)
        {
            speakerLabel.text = n.speaker;
        }
        if (lineLabel != null)
        {
            lineLabel.text = n.line;
        }
        if (continueButton != null)
        {
            continueButton.gameObject.SetActive(n.choices.Length == 0);
        }
        for (int i = 0; i < choiceButtons.Length; i++)
        {
            bool used = i < n.choices.Length;
            choiceButtons[i].gameObject.SetActive(used);
            var label = choiceButtons[i].GetComponentInChildren<TMP_Text>();
            if (used && label != null)
            {
                label.text = n.choices[i].text;
            }
        }
    }
}
"#;
